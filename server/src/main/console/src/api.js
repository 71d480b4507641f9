// The public API, as the console calls it: the session cookie instead of a key, and the header
// that marks a console request (a page of another site cannot send it).
const HEADERS = { 'X-Spool-Console': '1' };

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export async function call(method, path, body) {
  const init = { method, headers: { ...HEADERS }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 204) return null;
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body ?? {});
export const del = (path) => call('DELETE', path);

/**
 * Follows a server-sent event stream; returns a function that closes it. The stream is closed after
 * an event of a kind in {@code last} (a stream the server ends would otherwise be opened again).
 */
export function follow(path, onEvent, last = []) {
  const source = new EventSource(path);
  const handler = (e) => {
    onEvent(e.type, JSON.parse(e.data));
    if (last.includes(e.type)) source.close();
  };
  source.addEventListener('end', () => source.close());
  for (const kind of ['submitted', 'started', 'progress', 'succeeded', 'failed', 'cancelled', 'retried',
    'cancel_requested', 'rescued', 'snoozed', 'released', 'log']) {
    source.addEventListener(kind, handler);
  }
  return () => source.close();
}
