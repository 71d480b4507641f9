import { useEffect, useRef, useState } from 'preact/hooks';
import { call, follow, get, post } from './api.js';
import { ago } from './format.js';
import { html, Link, navigate, Status } from './ui.js';

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
const EMPTY = { status: [], type: '', queue: '', batch_id: '', metadata: '', created_after: '', created_before: '' };

/** The filters as the list's query string (and, as an object, as a bulk action's body). */
function query(f) {
  const q = new URLSearchParams();
  if (f.status.length) q.set('status', f.status.join(','));
  for (const name of ['type', 'queue', 'batch_id']) if (f[name]) q.set(name, f[name]);
  for (const name of ['created_after', 'created_before']) if (f[name]) q.set(name, new Date(f[name]).toISOString());
  for (const [k, v] of metadata(f)) q.set(`metadata[${k}]`, v);
  return q;
}

function metadata(f) {
  return f.metadata.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const at = s.indexOf('=');
    return at < 0 ? [s, ''] : [s.slice(0, at).trim(), s.slice(at + 1).trim()];
  });
}

function bulkBody(f) {
  const body = {};
  if (f.status.length) body.status = f.status;
  for (const name of ['type', 'queue', 'batch_id']) if (f[name]) body[name] = f[name];
  for (const name of ['created_after', 'created_before']) if (f[name]) body[name] = new Date(f[name]).toISOString();
  const m = metadata(f);
  if (m.length) body.metadata = Object.fromEntries(m);
  if (Object.keys(body).length === 0) body.all = true;
  return body;
}

function Filters({ value, onChange, types }) {
  const [draft, setDraft] = useState(value);
  const set = (name) => (e) => setDraft({ ...draft, [name]: e.target.value });
  const toggle = (s) => setDraft({ ...draft, status: draft.status.includes(s) ? draft.status.filter((x) => x !== s) : [...draft.status, s] });
  const apply = (e) => { e.preventDefault(); onChange(draft); };
  const clear = () => { setDraft(EMPTY); onChange(EMPTY); };
  return html`
    <form class="filters" onSubmit=${apply} aria-label="Filters">
      <fieldset class="statuses">
        <legend>Status</legend>
        ${STATUSES.map((s) => html`
          <label><input type="checkbox" name="status" value=${s} checked=${draft.status.includes(s)} onChange=${() => toggle(s)} /> ${s}</label>`)}
      </fieldset>
      <label>Type
        <select name="type" value=${draft.type} onChange=${set('type')}>
          <option value="">any</option>
          ${types.map((t) => html`<option value=${t.name}>${t.name}</option>`)}
        </select>
      </label>
      <label>Queue <input name="queue" value=${draft.queue} onInput=${set('queue')} /></label>
      <label>Batch <input name="batch_id" value=${draft.batch_id} onInput=${set('batch_id')} /></label>
      <label>Metadata <input name="metadata" value=${draft.metadata} onInput=${set('metadata')} placeholder="key=value, …" /></label>
      <label>Created after <input type="datetime-local" name="created_after" value=${draft.created_after} onInput=${set('created_after')} /></label>
      <label>Created before <input type="datetime-local" name="created_before" value=${draft.created_before} onInput=${set('created_before')} /></label>
      <div class="actions">
        <button type="submit">Filter</button>
        <button type="button" class="plain" onClick=${clear}>Clear</button>
      </div>
    </form>`;
}

export function Jobs() {
  const [filters, setFilters] = useState(EMPTY);
  const [types, setTypes] = useState([]);
  const [page, setPage] = useState(null);
  const [cursors, setCursors] = useState([null]); // the cursor of each page shown so far
  const [selected, setSelected] = useState(new Set());
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [search, setSearch] = useState('');
  const reload = useRef(() => {});

  const cursor = cursors[cursors.length - 1];
  const load = async () => {
    try {
      const q = query(filters);
      q.set('limit', '50');
      if (cursor) q.set('cursor', cursor);
      setPage(await get(`/v1/jobs?${q}`));
      setError(null);
    } catch (e) {
      setError(e.message);
    }
  };
  reload.current = load;

  useEffect(() => { get('/v1/types').then((t) => setTypes(t.data)).catch(() => {}); }, []);
  useEffect(() => { load(); setSelected(new Set()); }, [filters, cursor]);
  useEffect(() => {
    // Live: the tenant's event stream; a burst of events reloads the page once.
    let timer = null;
    const close = follow('/v1/events', () => {
      if (timer) return;
      timer = setTimeout(() => { timer = null; reload.current(); }, 300);
    });
    return () => { close(); clearTimeout(timer); };
  }, []);

  const act = async (action) => {
    const ids = [...selected];
    if (!ids.length || !confirm(`${action} ${ids.length} selected job(s)?`)) return;
    const results = await Promise.allSettled(ids.map((id) =>
      action === 'delete' ? call('DELETE', `/v1/jobs/${id}`) : post(`/v1/jobs/${id}/${action}`)));
    const failed = results.filter((r) => r.status === 'rejected').length;
    setNotice(`${action}: ${ids.length - failed} done${failed ? `, ${failed} refused` : ''}.`);
    setSelected(new Set());
    load();
  };

  const actOnFilter = async (action) => {
    try {
      const count = await post(`/v1/jobs/${action}`, { ...bulkBody(filters), dry_run: true });
      if (!count.matched) { setNotice(`${action}: no job matching the filter.`); return; }
      if (!confirm(`${action} all ${count.matched} job(s) matching the filter?`)) return;
      const done = await post(`/v1/jobs/${action}`, bulkBody(filters));
      setNotice(`${action}: ${done.changed} of ${done.matched} matching job(s) changed.`);
      load();
    } catch (e) {
      setError(e.message);
    }
  };

  const toggle = (id) => {
    const next = new Set(selected);
    next.has(id) ? next.delete(id) : next.add(id);
    setSelected(next);
  };
  const rows = page?.data ?? [];
  const allSelected = rows.length > 0 && rows.every((j) => selected.has(j.id));
  const selectAll = () => setSelected(allSelected ? new Set() : new Set(rows.map((j) => j.id)));

  return html`
    <section class="jobs">
      <div class="bar">
        <h1>Jobs</h1>
        <form class="search" onSubmit=${(e) => { e.preventDefault(); if (search.trim()) navigate(`/jobs/${encodeURIComponent(search.trim())}`); }}>
          <label class="sr-only" for="job-search">Job id</label>
          <input id="job-search" placeholder="Go to a job id" value=${search} onInput=${(e) => setSearch(e.target.value)} />
        </form>
      </div>
      <${Filters} value=${filters} onChange=${(f) => { setFilters(f); setCursors([null]); }} types=${types} />
      <div class="bulk" role="group" aria-label="Bulk actions">
        <span>${selected.size} selected</span>
        <button type="button" disabled=${!selected.size} onClick=${() => act('cancel')}>Cancel</button>
        <button type="button" disabled=${!selected.size} onClick=${() => act('retry')}>Retry</button>
        <button type="button" disabled=${!selected.size} onClick=${() => act('delete')}>Delete</button>
        <span class="sep">On everything matching the filter:</span>
        <button type="button" onClick=${() => actOnFilter('cancel')}>Cancel all</button>
        <button type="button" onClick=${() => actOnFilter('retry')}>Retry all</button>
        <button type="button" onClick=${() => actOnFilter('delete')}>Delete all</button>
      </div>
      ${notice && html`<p class="notice" role="status">${notice}</p>`}
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <div class="table">
        <table>
          <thead><tr>
            <th><input type="checkbox" aria-label="Select every job on this page" checked=${allSelected} onChange=${selectAll} /></th>
            <th>Job</th><th>Type</th><th>Status</th><th>Progress</th><th>Queue</th><th>Created</th>
          </tr></thead>
          <tbody>
            ${rows.map((j) => html`
              <tr key=${j.id} data-job=${j.id}>
                <td><input type="checkbox" aria-label=${`Select ${j.id}`} checked=${selected.has(j.id)} onChange=${() => toggle(j.id)} /></td>
                <td><${Link} to=${`/jobs/${j.id}`} class="mono">${j.title || j.id}<//></td>
                <td>${j.type}</td>
                <td><${Status} status=${j.status} /></td>
                <td>${j.progress?.fraction != null ? html`<progress max="1" value=${j.progress.fraction}></progress>` : ''}</td>
                <td>${j.queue}</td>
                <td title=${j.created_at}>${ago(j.created_at)}</td>
              </tr>`)}
          </tbody>
        </table>
        ${page && rows.length === 0 && html`<p class="empty">No jobs match.</p>`}
      </div>
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Newer</button>
        <button type="button" disabled=${!page?.has_more} onClick=${() => setCursors([...cursors, page.next_cursor])}>Older</button>
      </nav>
    </section>`;
}
