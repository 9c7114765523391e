// The dashboard's only door to data: same-origin calls of the JSON API with the key kept in sessionStorage.

const STORAGE = 'simgate.key';

/** The key of this tab, or null. */
export function getKey() {
  try {
    return sessionStorage.getItem(STORAGE);
  } catch {
    return null;
  }
}

/** @param {string | null} key */
export function setKey(key) {
  if (key) sessionStorage.setItem(STORAGE, key);
  else sessionStorage.removeItem(STORAGE);
}

/** An answer that is not a 2xx, with the error envelope's fields. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {string | null} requestId
   * @param {number | null} retryAfter
   */
  constructor(status, code, message, requestId, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
  }

  /** The key is missing, unknown, or lacks the scope. */
  get isAuth() {
    return this.status === 401 || this.status === 403;
  }
}

/**
 * The path with its query (empty values left out); always relative, so the key goes to this origin only.
 * @param {string} path
 * @param {Record<string, string | undefined>} [params]
 */
export function apiUrl(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * @param {string} path
 * @param {Record<string, string | undefined>} [params]
 * @param {{ fresh?: boolean }} [o] fresh: `Cache-Control: no-cache` (the gateway re-syncs each vendor's head first)
 * @returns {Promise<Response>}
 */
async function call(path, params, o = {}) {
  const key = getKey();
  if (!key) throw new ApiError(401, 'unauthorized', 'no gateway key', null, null);
  /** @type {Record<string, string>} */
  const headers = { Authorization: `Bearer ${key}`, Accept: 'application/json' };
  if (o.fresh) headers['Cache-Control'] = 'no-cache';
  let res;
  try {
    res = await fetch(apiUrl(path, params), { headers, credentials: 'omit', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'network', `the gateway did not answer (${e instanceof Error ? e.message : String(e)})`, null, null);
  }
  if (res.ok) return res;
  let code = 'http_' + res.status;
  let message = `${res.status} ${res.statusText}`;
  let requestId = res.headers.get('x-request-id');
  try {
    const body = await res.json();
    if (body && body.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
      requestId = body.error.request_id ?? requestId;
    }
  } catch {
    /* not the envelope */
  }
  const ra = Number(res.headers.get('retry-after'));
  throw new ApiError(res.status, code, message, requestId, Number.isFinite(ra) && ra > 0 ? ra : null);
}

/**
 * A JSON answer of the API.
 * @param {string} path
 * @param {Record<string, string | undefined>} [params]
 * @param {{ fresh?: boolean }} [o]
 */
export async function getJson(path, params, o) {
  return (await call(path, params, o)).json();
}

/**
 * A run's recording as a Blob (a media element cannot send the Authorization header itself).
 * @param {string} runId
 */
export async function getRecording(runId) {
  return (await call(`/v1/runs/${encodeURIComponent(runId)}/recording`)).blob();
}
