// The todo web page in Chromium, as its users would use it: ada and bob sign
// up in two browser contexts (two separate browsers, as far as cookies and
// storage go), and ada signs in again in a third.  The checks, in order:
// each user sees only their own tasks; a reload keeps the user signed in;
// add, edit, complete, reopen and delete work, with the keyboard too, and
// user text stays text; once the access token has expired, an action still
// works because the page refreshed it silently (the network shows
// 401, refresh, retry); the token is never in localStorage, sessionStorage
// or a readable cookie; errors (duplicate email, wrong password, empty
// title, wrong current password) appear in the form that caused them;
// changing the password ends ada's other session only; signing out ends
// that context's session, also after a reload, and no other; signing out
// everywhere ends all of ada's.  Then eve goes through the flows that take
// mail, opening the links of the messages the app's SMTP sink kept: she
// signs up and the page asks her to verify her address; "Resend" voids the
// first link, the second verifies her; she signs out, asks for a new
// password, and the link's form sets it and ends her every session, in
// another browser too; she changes her email, which changes once she opens
// the link sent to the new address; she deletes her account, with her
// password and a confirmation.  A link's token leaves the address bar at once.
//
// Run by test/browser/run.sh, which starts the app and sets:
//   BROWSER_BASE_URL   the app, e.g. http://127.0.0.1:8000
//   BROWSER_CHROMIUM   the browser to drive (Debian's /usr/bin/chromium)
//   BROWSER_TOKEN_TTL  the database's token_ttl, in seconds
//   BROWSER_SHOTS      where to save a screenshot of each page when a step fails
//   BROWSER_MAIL_DIR   the folder where the SMTP sink keeps each mail (NNNN.eml)
// Prints one line per step: "ok<TAB>step", or "fail<TAB>step<TAB>why".
import { readdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = process.env.BROWSER_BASE_URL;
const ttl = Number(process.env.BROWSER_TOKEN_TTL);
const shots = process.env.BROWSER_SHOTS;
const TIMEOUT = 8000;  // ms for each wait: generous, for a loaded machine

const ada = { email: 'ada@example.com', password: "ada's browser password" };
const bob = { email: 'bob@example.com', password: "bob's browser password" };
const adaNewPassword = "ada's new browser password";
const eve = { email: 'eve@example.com', password: "eve's browser password" };
const eveNewPassword = "eve's reset browser password";
const eveNewEmail = 'eve.new@example.com';

// ---- the harness: steps, waits, screenshots ----------------------------------

const pages = {};          // name -> Page, all screenshotted when a step fails
const scriptErrors = [];   // uncaught exceptions of the page's script
const requests = {};       // name -> [{method, path, status}] of the API
const accessTokens = new Set();  // every access token the app handed out
let stepCount = 0;
let failures = 0;

const oneLine = (text) => String(text).split('\n')[0].replace(/\t/g, ' ').slice(0, 300);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function step(name, body) {
  stepCount += 1;
  try {
    await body();
    console.log(`ok\t${name}`);
  } catch (error) {
    failures += 1;
    console.log(`fail\t${name}\t${oneLine(error.message)}`);
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
    for (const [who, page] of Object.entries(pages)) {
      const file = `${shots}/${String(stepCount).padStart(2, '0')}-${slug}-${who}.png`;
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    }
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

// Poll probe() until it returns something truthy (an exception counts as
// false); then fail with what(), which says what was expected and found.
async function eventually(what, probe, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const result = await Promise.resolve().then(probe).catch(() => false);
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`${typeof what === 'function' ? await what() : what} (after ${timeout} ms)`);
    await sleep(100);
  }
}

async function visible(locator, what) {
  try {
    await locator.waitFor({ state: 'visible', timeout: TIMEOUT });
  } catch {
    throw new Error(`${what}: not visible`);
  }
}

const text = async (locator) => ((await locator.textContent().catch(() => null)) || '').trim();

async function textIs(locator, expected, what) {
  await eventually(async () => `${what}: expected ${expected instanceof RegExp ? expected : JSON.stringify(expected)}, got ${
    JSON.stringify(await text(locator))}`,
  async () => {
    const found = await text(locator);
    return expected instanceof RegExp ? expected.test(found) : found === expected;
  });
}

// A browser context, its page at the app, and the API requests it makes.
async function open(browser, who) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (error) => scriptErrors.push(`${who}: ${oneLine(error.message)}`));
  // The page opens no dialog: one means that a task's title ran as script.
  page.on('dialog', (dialog) => {
    scriptErrors.push(`${who}: a ${dialog.type()} dialog opened: ${oneLine(dialog.message())}`);
    dialog.dismiss().catch(() => {});
  });
  requests[who] = [];
  page.on('response', async (response) => {
    const url = new URL(response.url());
    if (!url.pathname.startsWith('/api/')) return;
    requests[who].push({ method: response.request().method(), path: url.pathname, status: response.status() });
    if (response.ok() && /\/api\/auth\/(signin|refresh)$/.test(url.pathname)) {
      const body = await response.json().catch(() => ({}));
      if (body.access_token) accessTokens.add(body.access_token);
    }
  });
  pages[who] = page;
  await page.goto(base);
  return page;
}

// ---- the page, as a user sees it -------------------------------------------------

const signedIn = (page) => visible(page.locator('#signed-in'), 'the task list');
const signedOut = (page) => visible(page.locator('#signin-form'), 'the sign-in form');

async function signUp(page, user) {
  await page.locator('#signup-email').fill(user.email);
  await page.locator('#signup-password').fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

// Sign in with the keyboard alone: type, Tab to the next field, Enter.
async function signIn(page, user, password = user.password) {
  await page.locator('#signin-email').focus();
  await page.keyboard.type(user.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
}

async function addTask(page, title, description = '') {
  const before = await page.locator('#tasks li').count();
  await page.getByLabel('Title').first().fill(title);
  await page.getByLabel('Description').first().fill(description);
  await page.getByRole('button', { name: 'Add task' }).click();
  await eventually(`the list to grow after adding ${JSON.stringify(title)}`,
    async () => (await page.locator('#tasks li').count()) === before + 1);
}

const titles = (page) => page.locator('#tasks .title').allTextContents();
const row = (page, title) =>
  page.locator('#tasks li').filter({ has: page.locator('.title').getByText(title, { exact: true }) });

async function titlesAre(page, expected, what) {
  await eventually(async () => `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(await titles(page))}`,
    async () => JSON.stringify(await titles(page)) === JSON.stringify(expected));
}

// Every input and textarea of the page, shown or not, has a label.
async function allLabelled(page) {
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, textarea')]
    .filter((input) => input.labels.length === 0).map((input) => input.id || input.name));
  assert(unlabelled.length === 0, `inputs without a label: ${unlabelled.join(', ')}`);
}

// Reload the page and wait until it knows whether it is signed in.
async function reload(page) {
  await page.reload();
  await page.locator('#loading').waitFor({ state: 'hidden' });
}

// ---- the mail ----------------------------------------------------------------------

// The mails the SMTP sink kept for an address, oldest first, as text.
function mailsTo(address) {
  const dir = process.env.BROWSER_MAIL_DIR;
  const to = new RegExp(`^To: ${address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\r?$`, 'mi');
  return readdirSync(dir).filter((f) => f.endsWith('.eml')).sort()
    .map((f) => decoded(readFileSync(`${dir}/${f}`, 'utf8'))).filter((text) => to.test(text));
}

// A mail whose body is quoted-printable (lines over 78 characters), decoded.
const decoded = (text) => (/^Content-Transfer-Encoding: quoted-printable\r?$/mi.test(text)
  ? text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)))
  : text);

// The links of one kind (reset, verify, email) mailed to an address.
const linksIn = (address, kind) => mailsTo(address).flatMap((text) =>
  [...text.matchAll(new RegExp(`(https?://\\S+/#${kind}=[A-Za-z0-9_-]{43})(?=\\s)`, 'g'))].map((m) => m[1]));

// Wait for the n-th link of a kind mailed to an address, and return it.
async function mailedLink(address, kind, n) {
  const links = await eventually(
    () => `link ${n} (#${kind}) mailed to ${address}: found ${linksIn(address, kind).length}`,
    () => { const found = linksIn(address, kind); return found.length >= n && found; });
  return links[n - 1];
}

// ---- the scenario -----------------------------------------------------------------

const browser = await chromium.launch({ executablePath: process.env.BROWSER_CHROMIUM, timeout: 60000 });
try {
  const pa = await open(browser, 'ada');
  const pb = await open(browser, 'bob');
  const pc = await open(browser, 'ada-2');

  await step('the page loads signed out, its forms labelled', async () => {
    await signedOut(pa);
    assert(await pa.locator('#signed-in').isHidden(), 'the task list is shown before signing in');
    await allLabelled(pa);
  });

  await step('a new visitor reads what the app is, and finds "Create account" before "Sign in"', async () => {
    await textIs(pa.locator('header .tagline'), /to-do list/i, 'the line under the title');
    const headings = (await pa.locator('#signed-out h2:visible').allTextContents()).map((h) => h.trim());
    assert(JSON.stringify(headings) === JSON.stringify(['Create an account', 'Sign in']),
      `the signed-out headings, in order: ${JSON.stringify(headings)}`);
    assert(await pa.getByRole('button', { name: 'Forgot password?' }).isVisible(), 'no "Forgot password?"');
  });

  await step('ada and bob sign up through the page, each in their own browser', async () => {
    for (const [page, user] of [[pa, ada], [pb, bob]]) {
      await signUp(page, user);
      await signedIn(page);
      await textIs(page.locator('#who-email'), user.email, 'the signed-in email');
      await textIs(page.locator('#tasks-status'), 'No tasks yet.', 'a new list');
    }
  });

  await step('a taken email is refused next to the sign-up form', async () => {
    await signUp(pc, { email: ada.email.toUpperCase(), password: 'another browser password' });
    await textIs(pc.locator('#signup-form .error'), /already registered/i, 'the sign-up form\'s error');
    assert((await pc.locator('#signin-form .error').textContent()) === '', 'the sign-in form shows an error too');
    assert(await pc.locator('#signed-in').isHidden(), 'signed in anyway');
  });

  await step('a wrong password is refused next to the sign-in form', async () => {
    await signIn(pc, ada, 'not the browser password');
    await textIs(pc.locator('#signin-form .error'), /invalid email or password/i, 'the sign-in form\'s error');
    assert(await pc.locator('#signed-in').isHidden(), 'signed in anyway');
  });

  await step('ada signs in with the keyboard in a third browser', async () => {
    await pc.locator('#signin-email').fill('');
    await pc.locator('#signin-password').fill('');
    await signIn(pc, ada);
    await signedIn(pc);
    await textIs(pc.locator('#who-email'), ada.email, 'the signed-in email');
    assert((await pc.locator('#signin-form .error').textContent()) === '', 'the old error is still shown');
  });

  const markup = 'Call <b>Bob</b> & <img src=x onerror=alert(1)>';
  await step('each adds tasks and sees only their own', async () => {
    await addTask(pa, 'Buy milk', 'two litres');
    await addTask(pa, 'Write report');
    await addTask(pa, markup);
    await addTask(pb, "Bob's own task");
    await titlesAre(pa, ['Buy milk', 'Write report', markup], "ada's list");
    await titlesAre(pb, ["Bob's own task"], "bob's list");
    await textIs(row(pa, 'Buy milk').locator('.description'), 'two litres', 'the description');
    await allLabelled(pa);  // the editors of the tasks too
  });

  await step('user text is shown as text, never as HTML', async () => {
    const injected = await pa.locator('#tasks b, #tasks img').count();
    assert(injected === 0, `the task's title became ${injected} HTML element(s)`);
  });

  await step('a reload keeps each signed in (a refresh on load), with their own tasks', async () => {
    const seen = Object.fromEntries(Object.entries(requests).map(([who, list]) => [who, list.length]));
    for (const page of [pa, pb, pc]) await reload(page);
    for (const who of ['ada', 'bob', 'ada-2']) {
      const calls = requests[who].slice(seen[who]).map((r) => `${r.method} ${r.path} ${r.status}`);
      assert(calls[0] === 'POST /api/auth/refresh 200', `${who}'s first requests after the reload: ${calls.join(', ')}`);
    }
    await signedIn(pa);
    await titlesAre(pa, ['Buy milk', 'Write report', markup], "ada's list after a reload");
    await titlesAre(pb, ["Bob's own task"], "bob's list after a reload");
    await titlesAre(pc, ['Buy milk', 'Write report', markup], "ada's list in her other browser");
  });

  await step('an empty title is refused next to the add form', async () => {
    await pa.getByLabel('Title').first().fill('');
    await pa.getByRole('button', { name: 'Add task' }).click();
    await textIs(pa.locator('#add-form .error'), /\S/, 'the add form\'s error');
    await textIs(pa.locator('#add-form .field-error[data-field="title"]'), /\S/, 'the title\'s own error');
    const title = pa.locator('#add-title');
    assert(await title.getAttribute('aria-invalid') === 'true', 'the title is not marked invalid');
    assert(await title.evaluate((el) => el === document.activeElement), 'the focus is not on the title');
    await titlesAre(pa, ['Buy milk', 'Write report', markup], "ada's list");
  });

  await step('a task is edited in place; Escape cancels an edit', async () => {
    const report = row(pa, 'Write report');
    await report.getByRole('button', { name: /^Edit/ }).click();
    const title = report.getByLabel('Title');
    assert(await title.evaluate((el) => el === document.activeElement), 'the focus is not in the editor');
    await title.fill('Write the report');
    await report.getByLabel('Description').fill('by Friday');
    await report.getByRole('button', { name: 'Save' }).click();
    await titlesAre(pa, ['Buy milk', 'Write the report', markup], "ada's list after the edit");
    const edited = row(pa, 'Write the report');
    await textIs(edited.locator('.description'), 'by Friday', 'the new description');
    await edited.getByRole('button', { name: /^Edit/ }).click();
    await edited.getByLabel('Title').fill('not saved');
    await pa.keyboard.press('Escape');
    await eventually('the editor to close', () => edited.locator('.edit-form').isHidden());
    await titlesAre(pa, ['Buy milk', 'Write the report', markup], "ada's list after a cancelled edit");
  });

  await step('a task is completed and reopened with the keyboard', async () => {
    const milk = row(pa, 'Buy milk');
    await milk.getByRole('button', { name: /^Complete/ }).focus();
    await pa.keyboard.press('Enter');
    await eventually('the task to show as done', async () =>
      (await milk.getAttribute('class')).includes('completed') && await milk.locator('.done-label').isVisible());
    await textIs(pa.locator('#tasks-status'), '3 tasks, 1 done.', 'the count');
    const reopen = milk.getByRole('button', { name: /^Reopen/ });
    assert(await reopen.evaluate((el) => el === document.activeElement), 'the focus is lost after completing');
    await pa.keyboard.press('Space');
    await textIs(pa.locator('#tasks-status'), '3 tasks, 0 done.', 'the count after reopening');
    await milk.getByRole('button', { name: /^Complete/ }).click();
    await textIs(pa.locator('#tasks-status'), '3 tasks, 1 done.', 'the count');
  });

  await step('a task is deleted, and bob\'s are untouched', async () => {
    await row(pa, markup).getByRole('button', { name: /^Delete/ }).click();
    await titlesAre(pa, ['Buy milk', 'Write the report'], "ada's list after the delete");
    await reload(pb);
    await titlesAre(pb, ["Bob's own task"], "bob's list");
  });

  await step('the keyboard focus is visible', async () => {
    await pa.locator('#add-title').focus();
    await pa.keyboard.press('Tab');
    await pa.keyboard.press('Tab');
    const focused = await pa.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      return { text: el.textContent, outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
    });
    assert(focused.text === 'Add task', `Tab reached ${JSON.stringify(focused.text)}, not the Add task button`);
    assert(focused.outline !== 'none' && focused.width >= 2,
      `the focused button has no visible outline (${focused.outline} ${focused.width}px)`);
  });

  await step('after the access token expires, an action still works (silent refresh)', async () => {
    await sleep(ttl * 1000 + 1500);
    const seen = requests.ada.length;
    await addTask(pa, 'After the refresh');
    const calls = requests.ada.slice(seen).map((r) => `${r.method} ${r.path} ${r.status}`);
    const expired = calls.indexOf('POST /api/tasks 401');
    const refreshed = calls.indexOf('POST /api/auth/refresh 200');
    const retried = calls.indexOf('POST /api/tasks 201');
    assert(expired >= 0 && refreshed > expired && retried > refreshed,
      `expected a 401, a refresh and the retry; the requests were: ${calls.join(', ')}`);
    await titlesAre(pa, ['Buy milk', 'Write the report', 'After the refresh'], "ada's list");
  });

  await step('the page keeps no token in storage or readable cookies', async () => {
    assert(accessTokens.size >= 4, `only ${accessTokens.size} access tokens were seen`);
    for (const [who, page] of [['ada', pa], ['bob', pb], ['ada-2', pc]]) {
      const kept = await page.evaluate((tokens) => {
        const found = [];
        if (localStorage.length) found.push(`localStorage has ${localStorage.length} item(s)`);
        if (sessionStorage.length) found.push(`sessionStorage has ${sessionStorage.length} item(s)`);
        if (document.cookie) found.push(`document.cookie is ${JSON.stringify(document.cookie.slice(0, 40))}`);
        for (const key of Object.keys(window)) {
          const value = window[key];
          if (typeof value === 'string' && tokens.some((token) => value.includes(token))) found.push(`window.${key}`);
        }
        return found;
      }, [...accessTokens]);
      assert(kept.length === 0, `${who}: ${kept.join('; ')}`);
      const cookies = await page.context().cookies();
      const names = cookies.map((c) => c.name).join(', ');
      assert(cookies.length === 1 && cookies[0].name === 'refresh_token', `${who}'s cookies: ${names}`);
      const [c] = cookies;
      assert(c.httpOnly && c.sameSite === 'Strict' && c.path === '/api/auth',
        `${who}'s refresh cookie: httpOnly=${c.httpOnly} sameSite=${c.sameSite} path=${c.path}`);
      assert(!accessTokens.has(c.value), `${who}'s cookie holds an access token`);
    }
  });

  await step('a wrong current password is refused next to the password form', async () => {
    await pa.getByLabel('Current password').fill('not the browser password');
    await pa.getByLabel('New password').fill(adaNewPassword);
    await pa.getByRole('button', { name: 'Change password' }).click();
    await textIs(pa.locator('#password-form .error'), /current password is wrong/i, 'the password form\'s error');
    await signedIn(pa);
  });

  await step("changing the password ends ada's other session only", async () => {
    await pa.getByLabel('Current password').fill(ada.password);
    await pa.getByLabel('New password').fill(adaNewPassword);
    await pa.getByRole('button', { name: 'Change password' }).click();
    await textIs(pa.locator('#password-form .status'), /Sessions signed out elsewhere: 1\./, 'the change\'s outcome');
    // ada's other browser: its next action finds the session over.
    await pc.getByLabel('Title').first().fill('From the ended session');
    await pc.getByRole('button', { name: 'Add task' }).click();
    await signedOut(pc);
    await textIs(pc.locator('#signed-out-status'), /session has ended/i, 'why the sign-in form is back');
    assert(await pc.locator('#tasks li').count() === 0, "ada's tasks are still in the page");
    // This browser goes on, and so does bob's.
    await addTask(pa, 'After the password change');
    await addTask(pb, "Bob's second task");
    await titlesAre(pa, ['Buy milk', 'Write the report', 'After the refresh', 'After the password change'],
      "ada's list");
  });

  await step('the old password is refused, the new one signs in', async () => {
    await signIn(pc, ada);
    await textIs(pc.locator('#signin-form .error'), /invalid email or password/i, 'the sign-in form\'s error');
    await pc.locator('#signin-email').fill('');
    await pc.locator('#signin-password').fill('');
    await signIn(pc, ada, adaNewPassword);
    await signedIn(pc);
    await titlesAre(pc, ['Buy milk', 'Write the report', 'After the refresh', 'After the password change'],
      "ada's list in her other browser");
  });

  await step('signing out ends that browser\'s session, also after a reload, and no other', async () => {
    await pb.getByRole('button', { name: 'Sign out', exact: true }).click();
    await signedOut(pb);
    await textIs(pb.locator('#signed-out-status'), 'You have signed out.', 'the sign-out message');
    assert(await pb.locator('#tasks li').count() === 0, "bob's tasks are still in the page");
    assert((await pb.context().cookies()).length === 0, 'the refresh cookie is still there');
    await reload(pb);
    await signedOut(pb);
    assert(await pb.locator('#signed-in').isHidden(), 'signed in again after a reload');
    await reload(pa);
    await signedIn(pa);
    await addTask(pa, 'While bob is away');
  });

  await step('signing out everywhere ends all of ada\'s sessions', async () => {
    await pc.getByRole('button', { name: 'Sign out everywhere' }).click();
    await signedOut(pc);
    await textIs(pc.locator('#signed-out-status'), /Signed out everywhere: 2 sessions ended\./, 'the message');
    await row(pa, 'Buy milk').getByRole('button', { name: /^Delete/ }).click();
    await signedOut(pa);
    await textIs(pa.locator('#signed-out-status'), /session has ended/i, 'why the sign-in form is back');
    for (const page of [pa, pc]) {
      await reload(page);
      await signedOut(page);
    }
  });

  await step('bob signs in again and finds his tasks', async () => {
    await signIn(pb, bob);
    await signedIn(pb);
    await titlesAre(pb, ["Bob's own task", "Bob's second task"], "bob's list");
  });

  // ---- eve: the flows that go through the mail ----
  const pe = await open(browser, 'eve');
  const pe2 = await open(browser, 'eve-2');
  const noFragment = (page) => assert(!new URL(page.url()).hash, `the address bar still holds ${page.url()}`);

  await step('eve signs up, and the page asks her to verify her address', async () => {
    await signedOut(pe);
    await signUp(pe, eve);
    await signedIn(pe);
    await textIs(pe.locator('#notice'), /mailed a link to eve@example\.com/, 'the welcome');
    await visible(pe.locator('#verify-banner'), 'the banner of an unverified address');
    await mailedLink(eve.email, 'verify', 1);
  });

  await step('"Resend" mails a new link and voids the first', async () => {
    await pe.getByRole('button', { name: 'Resend' }).click();
    await textIs(pe.locator('#verify-status'), /mailed a new link to eve@example\.com/, 'the resend outcome');
    const second = await mailedLink(eve.email, 'verify', 2);
    const first = linksIn(eve.email, 'verify')[0];
    assert(first !== second, 'the same link twice');
    await pe.goto(first);
    await textIs(pe.locator('#notice'), /invalid, was used already or has expired/, 'the first link\'s outcome');
    noFragment(pe);
    await visible(pe.locator('#verify-banner'), 'the banner, still');
  });

  await step('the link of the mail verifies eve\'s address, and leaves the address bar', async () => {
    const seen = requests.eve.length;
    await pe.goto(await mailedLink(eve.email, 'verify', 2));
    await textIs(pe.locator('#notice'), 'Your email address is verified.', 'the outcome');
    noFragment(pe);
    await eventually('the banner to go', () => pe.locator('#verify-banner').isHidden());
    const calls = requests.eve.slice(seen).map((r) => `${r.method} ${r.path} ${r.status}`);
    assert(calls.includes('POST /api/auth/verify-email 204'), `the requests: ${calls.join(', ')}`);
    await reload(pe);
    await signedIn(pe);
    assert(await pe.locator('#verify-banner').isHidden(), 'the banner is back after a reload');
  });

  await step('eve signs in in another browser, signs out in the first and asks for a new password', async () => {
    await signIn(pe2, eve);
    await signedIn(pe2);
    await pe.getByRole('button', { name: 'Sign out', exact: true }).click();
    await signedOut(pe);
    await pe.getByRole('button', { name: 'Forgot password?' }).click();
    await pe.locator('#forgot-email').fill(eve.email);
    await pe.getByRole('button', { name: 'Send me a link' }).click();
    await textIs(pe.locator('#forgot-form .status'),
      /^If an account has the address eve@example\.com, we have sent it a link/, 'the answer');
    // An unknown address gets the same answer.
    await pe.locator('#forgot-email').fill('nobody@example.com');
    await pe.getByRole('button', { name: 'Send me a link' }).click();
    await textIs(pe.locator('#forgot-form .status'),
      /^If an account has the address nobody@example\.com, we have sent it a link/, 'the answer');
    await mailedLink(eve.email, 'reset', 1);
    assert(mailsTo('nobody@example.com').length === 0, 'a mail went to an unknown address');
  });

  let resetLink;
  await step('the reset link leads to a new password, which ends every session of eve\'s', async () => {
    resetLink = await mailedLink(eve.email, 'reset', 1);
    await pe.goto(resetLink);
    await visible(pe.locator('#reset-form'), 'the form of a new password');
    noFragment(pe);
    assert(await pe.locator('#signin-form').isHidden(), 'the sign-in form is shown with the reset form');
    await pe.locator('#reset-password').fill('short');
    await pe.getByRole('button', { name: 'Save the password' }).click();
    await textIs(pe.locator('#reset-form .field-error[data-field="password"]'), /at least 8 characters/, 'the password\'s error');
    await pe.locator('#reset-password').fill(eveNewPassword);
    await pe.getByRole('button', { name: 'Save the password' }).click();
    await signedOut(pe);
    await textIs(pe.locator('#signed-out-status'), /password has been changed/, 'the outcome');
    // Her other browser's session is over.
    await reload(pe2);
    await signedOut(pe2);
  });

  await step('the reset link works once; the old password is refused, the new one signs in', async () => {
    await pe.goto(resetLink);
    await pe.locator('#reset-password').fill(`${eveNewPassword} again`);
    await pe.getByRole('button', { name: 'Save the password' }).click();
    await textIs(pe.locator('#reset-form .error'), /invalid, was used already or has expired/, 'the reused link\'s error');
    await pe.getByRole('button', { name: 'Back to sign in' }).click();
    await signedOut(pe);
    await signIn(pe, eve);
    await textIs(pe.locator('#signin-form .error'), /invalid email or password/i, 'the old password\'s error');
    await pe.locator('#signin-email').fill('');
    await pe.locator('#signin-password').fill('');
    await signIn(pe, eve, eveNewPassword);
    await signedIn(pe);
    await addTask(pe, "Eve's task");
  });

  await step('eve changes her email: the link goes to the new address, which is hers once she opens it', async () => {
    await pe.locator('#email-new').fill(eve.email.toUpperCase());
    await pe.getByRole('button', { name: 'Send a confirmation link' }).click();
    await textIs(pe.locator('#email-form .field-error[data-field="new_email"]'), /your address already/, 'her own address');
    await pe.locator('#email-new').fill(bob.email);
    await pe.locator('#email-password').fill(eveNewPassword);
    await pe.getByRole('button', { name: 'Send a confirmation link' }).click();
    await textIs(pe.locator('#email-form .error'), /Another account already uses this address/, 'a taken address');
    await pe.locator('#email-new').fill(eveNewEmail);
    await pe.locator('#email-password').fill('not her password');
    await pe.getByRole('button', { name: 'Send a confirmation link' }).click();
    await textIs(pe.locator('#email-form .error'), /Your password is wrong/, 'a wrong password');
    await pe.locator('#email-password').fill(eveNewPassword);
    await pe.getByRole('button', { name: 'Send a confirmation link' }).click();
    await textIs(pe.locator('#email-form .status'), /mailed a link to eve\.new@example\.com/, 'the outcome');
    await textIs(pe.locator('#who-email'), eve.email, 'the address until confirmed');
    const link = await mailedLink(eveNewEmail, 'email', 1);
    assert(linksIn(eve.email, 'email').length === 0, 'the change link went to the old address');
    await pe.goto(link);
    await textIs(pe.locator('#notice'), 'Your new email address is confirmed.', 'the outcome');
    noFragment(pe);
    await textIs(pe.locator('#who-email'), eveNewEmail, 'the signed-in email');
    await titlesAre(pe, ["Eve's task"], "eve's list");
  });

  await step('deleting the account takes the password and a confirmation', async () => {
    const form = pe.locator('#delete-form');
    await pe.locator('#delete-password').fill('not the browser password');
    await pe.getByRole('button', { name: 'Delete account…' }).click();
    await pe.getByRole('button', { name: 'Yes, delete my account' }).click();
    await textIs(form.locator('.error'), /password is wrong/, 'the wrong password\'s error');
    await signedIn(pe);
    await pe.locator('#delete-password').fill(eveNewPassword);
    await pe.getByRole('button', { name: 'Delete account…' }).click();
    await pe.getByRole('button', { name: 'Cancel' }).click();
    assert(await pe.locator('#delete-confirm').isHidden(), 'the confirmation stays open after Cancel');
    await signedIn(pe);
    await pe.getByRole('button', { name: 'Delete account…' }).click();
    await pe.getByRole('button', { name: 'Yes, delete my account' }).click();
    await signedOut(pe);
    await textIs(pe.locator('#signed-out-status'), /account and all its tasks have been deleted/, 'the outcome');
    assert((await pe.context().cookies()).length === 0, 'the refresh cookie is still there');
    await signIn(pe, { email: eveNewEmail, password: eveNewPassword });
    await textIs(pe.locator('#signin-form .error'), /invalid email or password/i, 'a deleted account\'s sign-in');
  });

  await step('the page\'s script raised no error and opened no dialog', async () => {
    assert(scriptErrors.length === 0, scriptErrors.join('; '));
  });
} catch (error) {
  console.log(`fail\tthe browser test ran to its end\t${oneLine(error.message)}`);
  failures += 1;
} finally {
  await browser.close();
}
process.exitCode = failures ? 1 : 0;
