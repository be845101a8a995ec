// The todo page: plain JavaScript over the API of app.py
// (examples/fastapi/README.md describes it).
//
// The access token lives in the variable accessToken and nowhere else: not
// in localStorage, sessionStorage or a cookie this script could read.  The
// refresh token is in an HttpOnly cookie this script never sees; POST
// /api/auth/refresh trades it for a new access token, on page load and
// whenever a request answers 401 invalid_token (the request is then retried
// once).  When that fails, the page shows the sign-in form.
//
// Links mailed by the app carry a one-time token in the fragment
// (#reset=..., #verify=..., #email=...), which the browser sends to no
// server: the page reads it, removes it from the address bar and posts it.
//
// Everything the user or the server wrote goes into the page through
// textContent, never as HTML.  Errors are shown in sentences of the page's
// own, chosen by the API's error code (humanMessage), never in the words of
// the database or of the request validation.
'use strict';

let accessToken = null;
let refreshing = null;  // the refresh in flight, which every caller awaits

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

class ApiError extends Error {
  // error: the "error" member of the API's error body.
  constructor(status, error) {
    super(error.message || `The server answered ${status}: try again.`);
    this.status = status;
    this.code = error.code || '';
    this.hint = error.hint || '';
    this.fields = error.fields || [];
  }
}

const SESSION_ENDED = 'Your session has ended: sign in again.';

// The sentence for each error code of the API; a form may say it better
// (see showError's texts argument).
const ERROR_TEXTS = {
  network_error: 'The server cannot be reached: check the connection and try again.',
  invalid_credentials: 'Invalid email or password.',
  too_many_attempts: 'Too many wrong passwords for this account: wait a few minutes, then try again.',
  conflict: 'An account is already registered with this email address.',
  invalid_link: 'This link is invalid, was used already or has expired: ask for a new one.',
  too_many_requests: 'Too many links were asked for this account in the last hour: try again later.',
  mail_unavailable: 'This server cannot send mail at the moment: try again later.',
  database_unavailable: 'The service is unavailable for a moment: try again shortly.',
  not_found: 'This task does not exist any more: it may have been deleted elsewhere.',
  invalid_token: SESSION_ENDED,
  missing_token: SESSION_ENDED,
  refresh_failed: SESSION_ENDED,
  invalid_input: 'Check what you typed, and try again.',
};

// The sentence for an input field in error, by its name.
const FIELD_TEXTS = {
  email: 'Enter an email address, such as name@example.com.',
  new_email: 'Enter an email address, such as name@example.com.',
  password: 'Choose a password of at least 8 characters.',
  new_password: 'Choose a password of at least 8 characters.',
  old_password: 'Enter your current password.',
  title: 'Give the task a title of 1 to 200 characters.',
  description: 'Keep the description to 1000 characters.',
};

function humanMessage(error, texts = {}) {
  return texts[error.code] || ERROR_TEXTS[error.code] || 'Something went wrong: try again.';
}

// ---- talking to the API ------------------------------------------------------

// One request; the parsed JSON answer (null for 204), or an ApiError.
async function send(method, path, body, token = accessToken) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, {
      code: 'network_error',
      message: 'The server cannot be reached: check the connection and try again.',
    });
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, (data && data.error) || {});
  return data;
}

// Trade the refresh cookie for a new access token: true if that worked,
// false if the session is over.  One refresh at a time: the cookie changes
// on every use, and presenting a used one again ends the session.  Calls
// made meanwhile wait for the same refresh, and tabs of the same browser
// take turns through a Web Lock.
function refresh() {
  if (!refreshing) {
    const run = async () => {
      try {
        accessToken = (await send('POST', '/api/auth/refresh', undefined, null)).access_token;
        return true;
      } catch (error) {
        if (error.status === 0) throw error;  // the network, not the session
        accessToken = null;
        return false;
      }
    };
    const done = navigator.locks ? navigator.locks.request('todo-refresh', run) : run();
    refreshing = done.finally(() => { refreshing = null; });
  }
  return refreshing;
}

// A request as the signed-in user: on 401 invalid_token (the access token
// expired, or its session ended), refresh and retry once; if the refresh
// fails, or the retry meets invalid_token again, show the sign-in form.
async function api(method, path, body) {
  try {
    return await send(method, path, body);
  } catch (error) {
    if (error.code !== 'invalid_token' && error.code !== 'missing_token') throw error;
  }
  if (await refresh()) {
    try {
      return await send(method, path, body);
    } catch (error) {
      if (error.code !== 'invalid_token') throw error;
    }
  }
  showSignedOut(SESSION_ENDED);
  throw new ApiError(401, {code: 'signed_out', message: SESSION_ENDED});
}

// ---- forms and their errors --------------------------------------------------

// Give each field's error paragraph an id and tie it to its input.
function wireFields(form, prefix) {
  for (const box of $$('.field-error', form)) {
    box.id = `${prefix}-${box.dataset.field}-error`;
    form.elements[box.dataset.field].setAttribute('aria-describedby', box.id);
  }
}

function clearErrors(scope) {
  for (const box of $$('.error, .field-error', scope)) box.textContent = '';
  for (const input of $$('[aria-invalid]', scope)) input.removeAttribute('aria-invalid');
}

// Show an ApiError in scope (a form, or a task's row): a sentence in its
// .error paragraph, one next to each field in error, and focus on the
// first field in error.  texts: {code: sentence} for this form.
function showError(scope, error, texts = {}) {
  if (error.code === 'signed_out') return;  // the sign-in form says so
  let first = null;
  let placed = 0;
  let unplaced = 0;
  for (const {field} of error.fields) {
    const name = String(field).split('.').pop();
    const box = $(`.field-error[data-field="${CSS.escape(name)}"]`, scope);
    if (!box) {
      unplaced += 1;
      continue;
    }
    box.textContent = texts[`field:${name}`] || FIELD_TEXTS[name] || ERROR_TEXTS.invalid_input;
    placed += 1;
    const input = box.closest('form').elements[name];
    input.setAttribute('aria-invalid', 'true');
    first = first || input;
  }
  // When every field's sentence is next to its field, the form's own line
  // need not repeat them.
  const message = placed && !unplaced
    ? `Correct the field${placed > 1 ? 's' : ''} marked above.`
    : humanMessage(error, texts);
  $('.error', scope).textContent = message;
  if (first) first.focus();
}

// Put a sentence next to one field of a form, as showError does.
function fieldError(form, name, text) {
  showError(form, new ApiError(422, {code: 'invalid_input', fields: [{field: name}]}), {[`field:${name}`]: text});
}

// Run handler(values) on submit, one submission at a time; its errors
// appear in the form, in the sentences of texts where it has one.
function onSubmit(form, handler, texts = {}) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    form.setAttribute('aria-busy', 'true');
    clearErrors(form);
    try {
      await handler(Object.fromEntries(new FormData(form)));
    } catch (error) {
      showError(form, error, texts);
    } finally {
      form.removeAttribute('aria-busy');
    }
  });
}

// An optional text: trimmed, and null when empty.
const optional = (text) => (text || '').trim() || null;

// ---- signed out, signed in ---------------------------------------------------

let resetToken = null;  // the token of a reset link, until it is used
let currentEmail = '';

// The signed-out view: create an account and sign in (a new visitor's
// first need comes first), or only the form of a reset link.
function showSignedOut(message, {focus = true, reset = false} = {}) {
  accessToken = null;
  currentEmail = '';
  $('#tasks').replaceChildren();
  $('#tasks-status').textContent = '';
  $('#who-email').textContent = '';
  for (const form of $$('form')) {
    form.reset();
    clearErrors(form);
  }
  for (const box of $$('form .status, #notice, #verify-status')) box.textContent = '';
  $('#delete-confirm').hidden = true;
  $('#session-error').textContent = '';
  $('#loading').hidden = true;
  $('#who').hidden = true;
  $('#signed-in').hidden = true;
  $('#signed-out').hidden = false;
  $('#signup-section').hidden = reset;
  $('#signin-section').hidden = reset;
  $('#reset-section').hidden = !reset;
  showForgot(false);
  $('#signed-out-status').textContent = message;
  if (focus) $(reset ? '#reset-password' : '#signin-email').focus();
}

function showForgot(open) {
  $('#forgot-section').hidden = !open;
  $('#forgot-open').setAttribute('aria-expanded', String(open));
}

async function showSignedIn(notice = '') {
  const me = await api('GET', '/api/auth/me');
  currentEmail = me.email || '';
  $('#who-email').textContent = me.email;
  $('#verify-banner').hidden = me.email_verified !== false;
  $('#verify-status').textContent = '';
  for (const form of $$('#signed-out form')) form.reset();  // no password left behind
  $('#signed-out-status').textContent = '';
  $('#notice').textContent = notice;
  $('#loading').hidden = true;
  $('#signed-out').hidden = true;
  $('#who').hidden = false;
  $('#signed-in').hidden = false;
  await loadTasks();
}

async function signIn(email, password) {
  const token = await send('POST', '/api/auth/signin', {email, password}, null);
  accessToken = token.access_token;
  await showSignedIn();
  $('#add-title').focus();
}

// ---- the tasks ---------------------------------------------------------------

async function loadTasks() {
  const tasks = await api('GET', '/api/tasks');
  $('#tasks').replaceChildren(...tasks.map(taskRow));
  const done = tasks.filter((task) => task.completed).length;
  $('#tasks-status').textContent =
    tasks.length === 0 ? 'No tasks yet.' : `${tasks.length} tasks, ${done} done.`;
}

const rowOf = (id) => $(`#tasks li[data-id="${id}"]`);

// Reload the list, then focus a button of a task's row (or the title box).
async function reloadAndFocus(id, selector) {
  await loadTasks();
  const row = id && rowOf(id);
  (row ? $(selector, row) : $('#add-title')).focus();
}

function taskRow(task) {
  const row = $('#task-template').content.firstElementChild.cloneNode(true);
  const form = $('.edit-form', row);
  const view = $('.view', row);
  row.dataset.id = task.id;
  row.classList.toggle('completed', task.completed);
  $('.title', row).textContent = task.title;
  $('.description', row).textContent = task.description || '';
  $('.description', row).hidden = !task.description;
  $('.done-label', row).hidden = !task.completed;
  $('.complete', row).hidden = task.completed;
  $('.reopen', row).hidden = !task.completed;
  // Each button names its task for screen readers: "Delete Buy milk".
  for (const button of $$('.view button', row)) {
    const name = document.createElement('span');
    name.className = 'visually-hidden';
    name.textContent = ` ${task.title}`;
    button.append(name);
  }
  wireFields(form, `task-${task.id}`);

  // Run an action of this row; its errors appear in the row.
  const act = (action) => async () => {
    clearErrors(row);
    try {
      await action();
    } catch (error) {
      showError(row, error);
    }
  };
  const put = (fields) => api('PUT', `/api/tasks/${task.id}`, {
    title: task.title, description: task.description, completed: task.completed, ...fields,
  });
  const closeEditor = () => {
    form.hidden = true;
    view.hidden = false;
    clearErrors(row);
    $('.edit', row).focus();
  };

  $('.complete', row).addEventListener('click', act(async () => {
    await api('PATCH', `/api/tasks/${task.id}/complete`);
    await reloadAndFocus(task.id, '.reopen');
  }));
  $('.reopen', row).addEventListener('click', act(async () => {
    await put({completed: false});
    await reloadAndFocus(task.id, '.complete');
  }));
  $('.delete', row).addEventListener('click', act(async () => {
    const next = row.nextElementSibling || row.previousElementSibling;
    await api('DELETE', `/api/tasks/${task.id}`);
    await reloadAndFocus(next && next.dataset.id, '.edit');
  }));
  $('.edit', row).addEventListener('click', () => {
    form.elements.title.value = task.title;
    form.elements.description.value = task.description || '';
    form.elements.completed.checked = task.completed;
    view.hidden = true;
    form.hidden = false;
    form.elements.title.focus();
  });
  $('.cancel', row).addEventListener('click', closeEditor);
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') closeEditor();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await act(async () => {
      await put({
        title: form.elements.title.value.trim(),
        description: optional(form.elements.description.value),
        completed: form.elements.completed.checked,
      });
      await reloadAndFocus(task.id, '.edit');
    })();
  });
  return row;
}

// ---- links from the mail -----------------------------------------------------

// The token of a mailed link, {kind, token}, or null; the fragment leaves
// the address bar (and the history) at once.
function takeLinkToken() {
  const match = /^#(reset|verify|email)=([A-Za-z0-9_-]{1,100})$/.exec(window.location.hash);
  if (window.location.hash) {
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  return match ? {kind: match[1], token: match[2]} : null;
}

// Post a verification or email change link's token, then go on signed in
// (a refresh brings an access token that says what changed) or not.
async function useLink(path, token, done) {
  let outcome;
  try {
    await send('POST', path, {token}, null);
    outcome = done;
  } catch (error) {
    outcome = humanMessage(error, {conflict: 'Another account took this address meanwhile: choose another one.'});
  }
  if (await refresh()) await showSignedIn(outcome);
  else showSignedOut(outcome.endsWith('.') ? `${outcome} Sign in to go on.` : outcome, {focus: false});
}

// ---- wiring ------------------------------------------------------------------

function start() {
  for (const form of $$('form[id]')) wireFields(form, form.id);

  onSubmit($('#signin-form'), ({email, password}) => signIn(email, password));

  onSubmit($('#signup-form'), async ({email, password}) => {
    await send('POST', '/api/auth/signup', {email, password}, null);
    await signIn(email, password);
    $('#notice').textContent = `Welcome! We have mailed a link to ${email.trim()}: open it to verify your address.`;
  });

  $('#forgot-open').addEventListener('click', () => {
    const open = $('#forgot-section').hidden;
    showForgot(open);
    if (open) {
      $('#forgot-email').value = $('#signin-email').value;
      $('#forgot-email').focus();
    }
  });

  onSubmit($('#forgot-form'), async ({email}) => {
    const form = $('#forgot-form');
    $('.status', form).textContent = '';
    if (!email.trim()) return fieldError(form, 'email', FIELD_TEXTS.email);
    await send('POST', '/api/auth/forgot-password', {email}, null);
    $('.status', form).textContent =
      `If an account has the address ${email.trim()}, we have sent it a link to choose a new password. ` +
      'Check your inbox (the link works for a short time only).';
  });

  onSubmit($('#reset-form'), async ({password}) => {
    await send('POST', '/api/auth/reset-password', {token: resetToken, password}, null);
    resetToken = null;
    showSignedOut('Your password has been changed, and every session of your account has ended: ' +
                  'sign in with the new password.');
  });

  $('#reset-cancel').addEventListener('click', () => {
    resetToken = null;
    showSignedOut('');
  });

  $('#verify-resend').addEventListener('click', async () => {
    const status = $('#verify-status');
    status.textContent = '';
    try {
      const {sent} = await api('POST', '/api/auth/verify-email/resend');
      status.textContent = sent
        ? `We have mailed a new link to ${currentEmail}. Links sent before no longer work.`
        : 'No new link was sent: your address may be verified already (reload the page to see), ' +
          'or three links were sent in the last hour; try again later.';
    } catch (error) {
      if (error.code !== 'signed_out') status.textContent = humanMessage(error);
    }
  });

  onSubmit($('#email-form'), async ({new_email, password}) => {
    const form = $('#email-form');
    $('.status', form).textContent = '';
    const wanted = new_email.trim();
    if (wanted.toLowerCase() === currentEmail.toLowerCase()) {
      return fieldError(form, 'new_email', 'This is your address already.');
    }
    if (!password) return fieldError(form, 'password', 'Enter your password to change the address.');
    await api('POST', '/api/auth/email', {new_email: wanted, password});
    form.reset();
    $('.status', form).textContent =
      `We have mailed a link to ${wanted}: open it to confirm the change. ` +
      `Until then, your address stays ${currentEmail}.`;
  }, {conflict: 'Another account already uses this address.',
      invalid_credentials: 'Your password is wrong: the address was not changed.'});

  // Deleting asks twice: the password, then a confirmation in the page.
  const deleteForm = $('#delete-form');
  onSubmit(deleteForm, async ({password}) => {
    if (!password) return fieldError(deleteForm, 'password', 'Enter your password to delete the account.');
    $('#delete-confirm').hidden = false;
    $('#delete-no').focus();
  });
  $('#delete-no').addEventListener('click', () => {
    $('#delete-confirm').hidden = true;
    $('#delete-password').focus();
  });
  $('#delete-yes').addEventListener('click', async () => {
    clearErrors(deleteForm);
    $('#delete-confirm').hidden = true;
    try {
      await api('POST', '/api/auth/delete-account', {password: deleteForm.elements.password.value});
      showSignedOut('Your account and all its tasks have been deleted.', {focus: false});
    } catch (error) {
      showError(deleteForm, error, {
        invalid_credentials: 'The password is wrong: the account was not deleted.',
        'field:password': 'Enter your password to delete the account.',
      });
      deleteForm.elements.password.focus();
    }
  });

  onSubmit($('#add-form'), async ({title, description}) => {
    await api('POST', '/api/tasks', {title: title.trim(), description: optional(description)});
    $('#add-form').reset();
    await reloadAndFocus(null);
  });

  onSubmit($('#password-form'), async ({old_password, new_password}) => {
    const form = $('#password-form');
    $('.status', form).textContent = '';
    const {ended} = await api('POST', '/api/auth/password', {old_password, new_password});
    form.reset();
    $('.status', form).textContent =
      `Password changed. Sessions signed out elsewhere: ${ended}.`;
  }, {invalid_credentials: 'Your current password is wrong.'});

  const sessionAction = (path, message) => async () => {
    $('#session-error').textContent = '';
    try {
      const answer = await api('POST', path);
      showSignedOut(message(answer));
    } catch (error) {
      if (error.code !== 'signed_out') $('#session-error').textContent = humanMessage(error);
    }
  };
  $('#signout').addEventListener('click', sessionAction(
    '/api/auth/signout', () => 'You have signed out.'));
  $('#signout-all').addEventListener('click', sessionAction(
    '/api/auth/signout-all', ({ended}) => `Signed out everywhere: ${ended} sessions ended.`));

  // A link from the mail, when the page loads or when it is pasted into
  // the address bar of the page already open.
  window.addEventListener('hashchange', () => followLink());
  if (!followLink()) {
    // Signed in already?  The refresh cookie says, if there is one.
    refresh()
      .then((ok) => (ok ? showSignedIn() : showSignedOut('', {focus: false})))
      .catch(failedToLoad);
  }
}

function failedToLoad(error) {
  showSignedOut(error.code === 'signed_out' ? SESSION_ENDED : humanMessage(error), {focus: false});
}

// Act on the link in the fragment, if any: true if there was one.
function followLink() {
  const link = takeLinkToken();
  if (!link) return false;
  if (link.kind === 'reset') {
    // A new password first; whoever is signed in here is signed out by it.
    resetToken = link.token;
    showSignedOut('Choose the new password of your account.', {reset: true});
  } else if (link.kind === 'verify') {
    useLink('/api/auth/verify-email', link.token, 'Your email address is verified.').catch(failedToLoad);
  } else {
    useLink('/api/auth/email/confirm', link.token, 'Your new email address is confirmed.').catch(failedToLoad);
  }
  return true;
}

start();
