// Access to the query API: the bearer token (kept in sessionStorage), GET with it, errors as
// ApiError. Must not touch the page.

const TOKEN_KEY = 'streamfold.token';
// The API is served from the parent of the dashboard's folder (works behind a path prefix too).
const API = new URL('..', window.location.href);

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export class ApiError extends Error {
  constructor(status, code, reason) {
    super(reason || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

/** GET a path relative to the API root; JSON by default, text when asked. */
export async function api(path, { text = false } = {}) {
  const headers = {};
  const t = token();
  if (t) headers.authorization = `Bearer ${t}`;
  const res = await fetch(new URL(path, API), { headers, cache: 'no-store' });
  if (!res.ok) {
    let code = '';
    let reason = '';
    try {
      const body = await res.json();
      code = typeof body.error === 'string' ? body.error : '';
      reason = typeof body.reason === 'string' ? body.reason : '';
    } catch {
      // not JSON (a proxy's page, say): the status is enough
    }
    throw new ApiError(res.status, code, reason);
  }
  return text ? res.text() : res.json();
}

export function saveToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** A short reason for a failed call, for banners and messages. */
export function describe(err) {
  if (err instanceof ApiError) return `${err.status}${err.code ? ` ${err.code}` : ''}`;
  return 'unreachable';
}
