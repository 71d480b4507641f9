import { useEffect, useState } from 'preact/hooks';
import { call, get, post } from './api.js';
import { ago, time } from './format.js';
import { html, Json, Link } from './ui.js';

/** Reads {@code path} (none when null) when mounted and when {@code deps} change; reload() reads it again. */
function useApi(path, deps = []) {
  const [state, setState] = useState({ data: null, error: null });
  const load = () => (path ? get(path).then((data) => setState({ data, error: null })).catch((e) => setState({ data: null, error: e }))
    : Promise.resolve());
  useEffect(() => { load(); }, [path, ...deps]);
  return { ...state, reload: load };
}

function Problem({ error }) {
  if (!error) return null;
  return html`<p class="error" role="alert">${error.status === 403 ? 'Only an admin key can see this.' : error.message}</p>`;
}

function Page({ title, children, actions }) {
  return html`<section class="page"><div class="bar"><h1>${title}</h1>${actions}</div>${children}</section>`;
}

// ---------------------------------------------------------------- overview

function Chart({ minutes }) {
  const width = 600;
  const height = 120;
  const max = Math.max(1, ...minutes.map((m) => m.succeeded + m.failed + m.cancelled));
  const bar = width / minutes.length;
  return html`
    <svg class="chart" viewBox=${`0 0 ${width} ${height + 16}`} role="img"
         aria-label=${`Jobs ended per minute over the last hour, at most ${max} a minute`}>
      ${minutes.map((m, i) => {
        const parts = [['succeeded', m.succeeded], ['failed', m.failed], ['cancelled', m.cancelled]];
        let y = height;
        return parts.map(([kind, n]) => {
          const h = (n / max) * height;
          y -= h;
          return n ? html`<rect class=${`bar-${kind}`} x=${i * bar + 1} y=${y} width=${Math.max(1, bar - 2)} height=${h}><title>${`${m.at}: ${n} ${kind}`}</title></rect>` : null;
        });
      })}
      <text x="0" y=${height + 14} class="axis">an hour ago</text>
      <text x=${width} y=${height + 14} class="axis" text-anchor="end">now</text>
    </svg>`;
}

export function Overview({ who }) {
  const stats = useApi('/v1/stats');
  const queues = useApi('/v1/queues');
  const admin = who.role === 'admin';
  const workers = useApi(admin ? '/v1/workers' : null);
  const problems = useApi(admin ? '/v1/admin/problems' : null);
  useEffect(() => {
    const t = setInterval(() => { stats.reload(); queues.reload(); }, 10000);
    return () => clearInterval(t);
  }, []);
  const s = stats.data;
  const totals = s ? s.minutes.reduce((a, m) => ({ succeeded: a.succeeded + m.succeeded, failed: a.failed + m.failed, cancelled: a.cancelled + m.cancelled }),
    { succeeded: 0, failed: 0, cancelled: 0 }) : null;
  const ms = (v) => (v == null ? '—' : v < 1000 ? `${v} ms` : `${(v / 1000).toFixed(1)} s`);
  return html`
    <${Page} title="Overview">
      <${Problem} error=${stats.error} />
      ${s && html`
        <div class="cards">
          <div class="card"><h2>Last hour</h2><p><span class="ok">${totals.succeeded} succeeded</span> · <span class="bad">${totals.failed} failed</span> · ${totals.cancelled} cancelled</p></div>
          <div class="card"><h2>Wait (submit → start)</h2><p>p50 ${ms(s.wait_ms.p50)} · p95 ${ms(s.wait_ms.p95)} · p99 ${ms(s.wait_ms.p99)}</p></div>
          <div class="card"><h2>Run (start → end)</h2><p>p50 ${ms(s.run_ms.p50)} · p95 ${ms(s.run_ms.p95)} · p99 ${ms(s.run_ms.p99)}</p></div>
          <div class="card"><h2>Webhooks</h2><p>${s.webhooks.delivered + s.webhooks.failed
            ? `${Math.round((100 * s.webhooks.delivered) / (s.webhooks.delivered + s.webhooks.failed))}% delivered (${s.webhooks.delivered} of ${s.webhooks.delivered + s.webhooks.failed})`
            : 'none ended'}</p></div>
        </div>
        <h2>Jobs per minute</h2>
        <${Chart} minutes=${s.minutes} />
        <p class="legend"><span class="key bar-succeeded"></span> succeeded <span class="key bar-failed"></span> failed <span class="key bar-cancelled"></span> cancelled</p>`}
      <h2>Queues</h2>
      ${queues.data && html`<${QueueTable} queues=${queues.data.data} admin=${false} />`}
      ${admin && html`
        <h2>Workers</h2>
        ${workers.data && html`<p>${workers.data.data.length} worker(s) seen lately, ${workers.data.data.reduce((a, w) => a + w.jobs_in_hand, 0)} job(s) in hand,
          ${workers.data.data.reduce((a, w) => a + (w.free_slots ?? 0), 0)} slot(s) free at their last claims.</p>`}
        <h2>Problems</h2>
        ${problems.data && (problems.data.problems?.length
          ? html`<ul class="problems">${problems.data.problems.map((p) => html`<li key=${p.kind + p.subject}><strong>${p.kind}</strong> ${p.subject} ×${p.count}: ${p.detail}</li>`)}</ul>`
          : html`<p class="empty">No problems.</p>`)}`}
    <//>`;
}

// ---------------------------------------------------------------- queues

function QueueTable({ queues, admin, onChange }) {
  const toggle = async (q) => {
    await post(`/v1/queues/${encodeURIComponent(q.name)}/${q.paused ? 'resume' : 'pause'}`);
    onChange?.();
  };
  if (!queues.length) return html`<p class="empty">No queues.</p>`;
  return html`
    <div class="table"><table>
      <thead><tr><th>Queue</th><th>Queued</th><th>Running</th><th>Oldest waiting</th><th>State</th>${admin && html`<th></th>`}</tr></thead>
      <tbody>${queues.map((q) => html`
        <tr key=${q.name} data-queue=${q.name}>
          <td>${q.name}</td><td>${q.queued}</td><td>${q.running}</td>
          <td>${q.oldest_queued_age_seconds == null ? '—' : `${Math.round(q.oldest_queued_age_seconds)} s`}</td>
          <td>${q.paused ? html`<span class="status status-cancelled">paused</span>` : 'active'}</td>
          ${admin && html`<td><button type="button" onClick=${() => toggle(q)}>${q.paused ? 'Resume' : 'Pause'}</button></td>`}
        </tr>`)}</tbody>
    </table></div>`;
}

export function Queues({ who }) {
  const queues = useApi('/v1/queues');
  return html`<${Page} title="Queues"><${Problem} error=${queues.error} />
    ${queues.data && html`<${QueueTable} queues=${queues.data.data} admin=${who.role === 'admin'} onChange=${queues.reload} />`}<//>`;
}

// ---------------------------------------------------------------- workers

export function Workers() {
  const workers = useApi('/v1/workers');
  return html`<${Page} title="Workers"><${Problem} error=${workers.error} />
    ${workers.data && (workers.data.data.length ? html`
      <div class="table"><table>
        <thead><tr><th>Worker</th><th>Types</th><th>Jobs in hand</th><th>Free slots at its last claim</th><th>Last seen</th><th>Key</th></tr></thead>
        <tbody>${workers.data.data.map((w) => html`
          <tr key=${w.id}><td>${w.name || w.id}</td><td>${w.types.join(', ') || 'any'}</td><td>${w.jobs_in_hand}</td><td>${w.free_slots ?? '—'}</td>
            <td title=${w.last_seen}>${ago(w.last_seen)}</td><td class="mono">${w.key_id}</td></tr>`)}</tbody>
      </table></div>` : html`<p class="empty">No worker seen lately.</p>`)}<//>`;
}

// ---------------------------------------------------------------- schedules

export function Schedules() {
  const schedules = useApi('/v1/schedules');
  const [form, setForm] = useState({ name: '', cron: '0 3 * * *', timezone: 'UTC', type: '', input: '{}' });
  const [error, setError] = useState(null);
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  const create = async (e) => {
    e.preventDefault();
    try {
      await post('/v1/schedules', { name: form.name || undefined, cron: form.cron, timezone: form.timezone,
        job: { type: form.type, input: JSON.parse(form.input || '{}') } });
      setError(null);
      schedules.reload();
    } catch (err) {
      setError(err.message);
    }
  };
  const act = async (s, action) => {
    if (action === 'delete') {
      if (!confirm(`Delete the schedule ${s.name || s.id}?`)) return;
      await call('DELETE', `/v1/schedules/${s.id}`);
    } else {
      await post(`/v1/schedules/${s.id}/${action}`);
    }
    schedules.reload();
  };
  return html`<${Page} title="Schedules"><${Problem} error=${schedules.error} />
    <form class="inline" onSubmit=${create} aria-label="New schedule">
      <label>Name <input value=${form.name} onInput=${set('name')} /></label>
      <label>Cron <input value=${form.cron} onInput=${set('cron')} required /></label>
      <label>Time zone <input value=${form.timezone} onInput=${set('timezone')} /></label>
      <label>Job type <input value=${form.type} onInput=${set('type')} required /></label>
      <label>Input (JSON) <input value=${form.input} onInput=${set('input')} /></label>
      <button type="submit">Create</button>
    </form>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${schedules.data && (schedules.data.data.length ? html`
      <div class="table"><table>
        <thead><tr><th>Schedule</th><th>Cron</th><th>Next runs</th><th>Last run</th><th></th></tr></thead>
        <tbody>${schedules.data.data.map((s) => html`
          <tr key=${s.id} data-schedule=${s.id}><td>${s.name || s.id}<br /><span class="dim">${s.job.type}</span></td>
            <td class="mono">${s.cron} ${s.timezone}</td>
            <td>${s.paused ? 'paused' : s.next_runs.slice(0, 3).map((t) => time(t)).join(', ')}</td>
            <td>${s.last_job_id ? html`<${Link} to=${`/jobs/${s.last_job_id}`}>${time(s.last_run_at)}<//>` : '—'}</td>
            <td class="row-actions"><button type="button" onClick=${() => act(s, s.paused ? 'resume' : 'pause')}>${s.paused ? 'Resume' : 'Pause'}</button>
              <button type="button" onClick=${() => act(s, 'delete')}>Delete</button></td></tr>`)}</tbody>
      </table></div>` : html`<p class="empty">No schedules.</p>`)}<//>`;
}

// ---------------------------------------------------------------- webhooks

const EVENTS = ['job.started', 'job.progress', 'job.succeeded', 'job.failed', 'job.cancelled'];

export function Webhooks() {
  const endpoints = useApi('/v1/webhooks');
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState(['job.succeeded', 'job.failed', 'job.cancelled']);
  const [secret, setSecret] = useState(null);
  const [open, setOpen] = useState(null);
  const [log, setLog] = useState(null);
  const [error, setError] = useState(null);
  const create = async (e) => {
    e.preventDefault();
    try {
      const made = await post('/v1/webhooks', { url, events });
      setSecret({ id: made.id, secret: made.secret });
      setError(null);
      endpoints.reload();
    } catch (err) {
      setError(err.message);
    }
  };
  const rotate = async (id) => {
    const s = await post(`/v1/webhooks/${id}/rotate-secret`);
    setSecret({ id, secret: s.secret });
  };
  const toggle = async (w) => { await call('PATCH', `/v1/webhooks/${w.id}`, { enabled: !w.enabled }); endpoints.reload(); };
  const remove = async (w) => { if (confirm(`Delete the endpoint ${w.url}?`)) { await call('DELETE', `/v1/webhooks/${w.id}`); endpoints.reload(); } };
  const deliveries = async (w) => { setOpen(w.id); setLog((await get(`/v1/webhooks/${w.id}/deliveries`)).data); };
  return html`<${Page} title="Webhook endpoints"><${Problem} error=${endpoints.error} />
    <form class="inline" onSubmit=${create} aria-label="New endpoint">
      <label>URL <input type="url" value=${url} onInput=${(e) => setUrl(e.target.value)} required placeholder="https://…" /></label>
      <fieldset><legend>Events</legend>${EVENTS.map((ev) => html`
        <label><input type="checkbox" checked=${events.includes(ev)} onChange=${() => setEvents(events.includes(ev) ? events.filter((x) => x !== ev) : [...events, ev])} /> ${ev}</label>`)}</fieldset>
      <button type="submit">Add endpoint</button>
    </form>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${secret && html`<div class="secret" role="status"><p>The signing secret of ${secret.id} (shown once here; GET /v1/webhooks/{id}/secret shows it again):</p><${Json} value=${secret.secret} label="secret" /></div>`}
    ${endpoints.data && (endpoints.data.data.length ? html`
      <div class="table"><table>
        <thead><tr><th>URL</th><th>Events</th><th>State</th><th></th></tr></thead>
        <tbody>${endpoints.data.data.map((w) => html`
          <tr key=${w.id}><td class="mono">${w.url}</td><td>${w.events.join(', ')}</td><td>${w.enabled ? 'enabled' : 'disabled'}</td>
            <td class="row-actions"><button type="button" onClick=${() => deliveries(w)}>Deliveries</button>
              <button type="button" onClick=${() => rotate(w.id)}>Rotate secret</button>
              <button type="button" onClick=${() => toggle(w)}>${w.enabled ? 'Disable' : 'Enable'}</button>
              <button type="button" onClick=${() => remove(w)}>Delete</button></td></tr>`)}</tbody>
      </table></div>` : html`<p class="empty">No endpoints.</p>`)}
    ${open && log && html`<h2>Deliveries to ${open}</h2>${log.length ? html`
      <div class="table"><table><thead><tr><th>Event</th><th>Job</th><th>State</th><th>Tries</th><th>Last answer</th><th>Made</th></tr></thead>
        <tbody>${log.map((d) => html`<tr key=${d.id}><td>${d.type}</td><td><${Link} to=${`/jobs/${d.job_id}`} class="mono">${d.job_id}<//></td>
          <td>${d.state}</td><td>${d.attempts}</td><td>${d.last_status ?? d.last_error ?? '—'}</td><td>${ago(d.created_at)}</td></tr>`)}</tbody></table></div>`
      : html`<p class="empty">No deliveries.</p>`}`}<//>`;
}

// ---------------------------------------------------------------- usage

export function UsagePage() {
  const [group, setGroup] = useState('day');
  const usage = useApi(`/v1/usage?group_by=${group}`, [group]);
  const download = async () => {
    const res = await fetch(`/v1/usage?group_by=${group}`, { headers: { Accept: 'text/csv' }, credentials: 'same-origin' });
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `spool-usage-by-${group}.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  const rows = usage.data?.data ?? [];
  const max = Math.max(1, ...rows.map((r) => r.jobs.total));
  return html`<${Page} title="Usage" actions=${html`<button type="button" onClick=${download}>Download CSV</button>`}>
    <${Problem} error=${usage.error} />
    <label>Group by <select value=${group} onChange=${(e) => setGroup(e.target.value)}>
      ${['day', 'type', 'queue', 'key'].map((g) => html`<option value=${g}>${g}</option>`)}</select></label>
    ${rows.length ? html`
      <div class="table"><table>
        <thead><tr><th>${group}</th><th>Jobs</th><th></th><th>Run time</th><th>Units</th><th>Cost</th></tr></thead>
        <tbody>${rows.map((r, i) => {
          const n = r.jobs.total;
          return html`<tr key=${i}><td>${r[group] ?? r.key_id ?? '—'}</td><td>${n}</td>
            <td><span class="meter" style=${{ width: `${Math.round((n / max) * 8)}rem` }}></span></td>
            <td>${Math.round(r.run_ms / 1000)} s</td><td>${r.units}</td><td>${r.cost.amount} ${r.cost.currency}</td></tr>`;
        })}</tbody>
      </table></div>` : html`<p class="empty">No usage this month.</p>`}<//>`;
}

// ---------------------------------------------------------------- keys (admin)

export function Keys() {
  const keys = useApi('/v1/keys');
  const [form, setForm] = useState({ name: '', tenant: '', role: 'tenant' });
  const [made, setMade] = useState(null);
  const [error, setError] = useState(null);
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  const create = async (e) => {
    e.preventDefault();
    try {
      setMade(await post('/v1/keys', { name: form.name, tenant: form.tenant || undefined, role: form.role }));
      setError(null);
      keys.reload();
    } catch (err) {
      setError(err.message);
    }
  };
  const revoke = async (k) => {
    if (!confirm(`Revoke the key ${k.name} (${k.prefix})? It stops working at once.`)) return;
    await call('DELETE', `/v1/keys/${k.id}`);
    keys.reload();
  };
  return html`<${Page} title="API keys"><${Problem} error=${keys.error} />
    ${!keys.error && html`
    <form class="inline" onSubmit=${create} aria-label="New key">
      <label>Name <input name="key-name" value=${form.name} onInput=${set('name')} required /></label>
      <label>Tenant <input name="key-tenant" value=${form.tenant} onInput=${set('tenant')} placeholder="(the admin's)" /></label>
      <label>Role <select value=${form.role} onChange=${set('role')}>${['tenant', 'admin', 'worker'].map((r) => html`<option value=${r}>${r}</option>`)}</select></label>
      <button type="submit">Create key</button>
    </form>`}
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${made && html`<div class="secret" role="status"><p>The key <strong>${made.name}</strong>: copy it now, it is shown only this once.</p><${Json} value=${made.key} label="new key" /></div>`}
    ${keys.data && html`
      <div class="table"><table>
        <thead><tr><th>Name</th><th>Prefix</th><th>Tenant</th><th>Role</th><th>Created</th><th>State</th><th></th></tr></thead>
        <tbody>${keys.data.data.map((k) => html`
          <tr key=${k.id} data-key=${k.id}><td>${k.name}</td><td class="mono">${k.prefix}</td><td>${k.tenant}</td><td>${k.role}</td>
            <td>${time(k.created_at)}</td><td>${k.revoked_at ? `revoked ${ago(k.revoked_at)}` : 'active'}</td>
            <td>${!k.revoked_at && html`<button type="button" onClick=${() => revoke(k)}>Revoke</button>`}</td></tr>`)}</tbody>
      </table></div>`}<//>`;
}
