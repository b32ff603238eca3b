// api.js: the REST API under /api/ — JSON in and out, the session cookie, and the CSRF token
// (from POST /api/login or GET /api/me) on every request that changes something.
let csrf = null;

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Calls method path with body (an object, or a string sent as is); resolves to the parsed
// JSON (null for 204), rejects with an ApiError carrying the server's {"error": ...}.
export async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf;
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const type = res.headers.get('Content-Type') || '';
  const data = res.status === 204 ? null
    : type.startsWith('application/json') ? await res.json() : await res.text();
  if (!res.ok) throw new ApiError(res.status, (data && data.error) || res.statusText);
  return data;
}

export async function login(user, password) {
  const me = await api('POST', '/api/login', { user, password });
  csrf = me.csrf;
  return me;
}

// Who is logged in (null: nobody); keeps the CSRF token.
export async function whoami() {
  try {
    const me = await api('GET', '/api/me');
    csrf = me.csrf;
    return me;
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

export async function logout() {
  await api('POST', '/api/logout');
  csrf = null;
}

// The account locks after failed logins: [{user, ip, failures, until_ms}] (GET /api/lockouts,
// which also lists the blocked addresses).
export async function locks() {
  return (await api('GET', '/api/lockouts')).locks;
}

// Lifts an account's locks (ip: for that address only; rejects 404 when it had none).
export function unlock(user, ip) {
  return api('DELETE', '/api/lockouts/' + encodeURIComponent(user) +
    (ip ? '?ip=' + encodeURIComponent(ip) : ''));
}

// Locks an account for every address until unlocked (POST /api/users/{name}/lock; the
// lockout guard refuses each login, whatever the password; 404 for no such account).
export function lock(user) {
  return api('POST', '/api/users/' + encodeURIComponent(user) + '/lock', {});
}
