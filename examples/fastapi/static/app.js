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
// Everything the user or the server wrote goes into the page through
// textContent, never as HTML.
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

// Show an ApiError in scope (a form, or a task's row): the message in its
// .error paragraph, each field's message next to that field, and focus on
// the first field in error.
function showError(scope, error) {
  if (error.code === 'signed_out') return;  // the sign-in form says so
  let first = null;
  let placed = 0;
  let unplaced = 0;
  for (const {field, message: text} of error.fields) {
    const name = String(field).split('.').pop();
    const box = $(`.field-error[data-field="${CSS.escape(name)}"]`, scope);
    if (!box) {
      unplaced += 1;
      continue;
    }
    box.textContent = text;
    placed += 1;
    const input = box.closest('form').elements[name];
    input.setAttribute('aria-invalid', 'true');
    first = first || input;
  }
  // When every field's message is next to its field, the form's own line
  // need not repeat them.
  let message = error.message;
  if (placed && !unplaced) message = `Correct the field${placed > 1 ? 's' : ''} marked above.`;
  if (error.hint) message += ` ${error.hint}`;
  $('.error', scope).textContent = message;
  if (first) first.focus();
}

// Run handler(values) on submit, one submission at a time; its errors
// appear in the form.
function onSubmit(form, handler) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    form.setAttribute('aria-busy', 'true');
    clearErrors(form);
    try {
      await handler(Object.fromEntries(new FormData(form)));
    } catch (error) {
      showError(form, error);
    } finally {
      form.removeAttribute('aria-busy');
    }
  });
}

// An optional text: trimmed, and null when empty.
const optional = (text) => (text || '').trim() || null;

// ---- signed out, signed in ---------------------------------------------------

function showSignedOut(message, {focus = true} = {}) {
  accessToken = null;
  $('#tasks').replaceChildren();
  $('#tasks-status').textContent = '';
  $('#who-email').textContent = '';
  for (const form of $$('form')) {
    form.reset();
    clearErrors(form);
  }
  $('#password-form .status').textContent = '';
  $('#session-error').textContent = '';
  $('#loading').hidden = true;
  $('#who').hidden = true;
  $('#signed-in').hidden = true;
  $('#signed-out').hidden = false;
  $('#signed-out-status').textContent = message;
  if (focus) $('#signin-email').focus();
}

async function showSignedIn() {
  const me = await api('GET', '/api/auth/me');
  $('#who-email').textContent = me.email;
  for (const form of $$('#signed-out form')) form.reset();  // no password left behind
  $('#signed-out-status').textContent = '';
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

// ---- wiring ------------------------------------------------------------------

function start() {
  for (const form of $$('form[id]')) wireFields(form, form.id);

  onSubmit($('#signin-form'), ({email, password}) => signIn(email, password));

  onSubmit($('#signup-form'), async ({email, password}) => {
    await send('POST', '/api/auth/signup', {email, password}, null);
    await signIn(email, password);
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
  });

  const sessionAction = (path, message) => async () => {
    $('#session-error').textContent = '';
    try {
      const answer = await api('POST', path);
      showSignedOut(message(answer));
    } catch (error) {
      if (error.code !== 'signed_out') $('#session-error').textContent = error.message;
    }
  };
  $('#signout').addEventListener('click', sessionAction(
    '/api/auth/signout', () => 'You have signed out.'));
  $('#signout-all').addEventListener('click', sessionAction(
    '/api/auth/signout-all', ({ended}) => `Signed out everywhere: ${ended} sessions ended.`));

  // Signed in already?  The refresh cookie says, if there is one.
  refresh()
    .then((ok) => (ok ? showSignedIn() : showSignedOut('', {focus: false})))
    .catch((error) => showSignedOut(error.code === 'signed_out' ? SESSION_ENDED : error.message,
                                    {focus: false}));
}

start();
