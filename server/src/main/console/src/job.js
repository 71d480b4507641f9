import { useEffect, useState } from 'preact/hooks';
import { call, follow, get, post } from './api.js';
import { bytes, time } from './format.js';
import { html, Json, navigate, Status } from './ui.js';

const ENDED = ['succeeded', 'failed', 'cancelled'];

/** The events, with each run of progress reports of one attempt shown as its last one and a count. */
function timeline(events) {
  const out = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (e.kind === 'progress' && last?.kind === 'progress' && last.attempt === e.attempt) {
      out[out.length - 1] = { ...e, times: last.times + 1 };
    } else {
      out.push({ ...e, times: 1 });
    }
  }
  return out;
}

export function JobPage({ id }) {
  const [job, setJob] = useState(null);
  const [events, setEvents] = useState([]);
  const [logs, setLogs] = useState([]);
  const [files, setFiles] = useState([]);
  const [deliveries, setDeliveries] = useState([]);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);

  const refresh = async () => {
    try {
      setJob(await get(`/v1/jobs/${encodeURIComponent(id)}`));
      setError(null);
      return true;
    } catch (e) {
      setError(e.status === 404 ? 'No such job.' : e.message);
      return false;
    }
  };
  const refreshOutputs = () => {
    get(`/v1/jobs/${encodeURIComponent(id)}/artifacts`).then((a) => setFiles(a.data)).catch(() => {});
    get(`/v1/jobs/${encodeURIComponent(id)}/deliveries`).then((d) => setDeliveries(d.data)).catch(() => {});
  };

  useEffect(() => {
    let close = () => {};
    let closeLogs = () => {};
    let gone = false;
    refresh().then((found) => {
      if (!found || gone) return; // no such job (or another tenant's): nothing more to ask
      refreshOutputs();
      // Live: the job's own event stream (its history first, then each new event) drives the page.
      close = follow(`/v1/jobs/${encodeURIComponent(id)}/events`, (kind, event) => {
        setEvents((all) => (all.some((e) => e.seq === event.seq) ? all : [...all, event]));
        refresh();
        if (ENDED.includes(event.status)) refreshOutputs();
      }, ENDED);
      // Its log, streamed as workers write it, until the job has ended.
      closeLogs = follow(`/v1/jobs/${encodeURIComponent(id)}/logs`, (kind, line) => {
        setLogs((all) => (all.some((l) => l.seq === line.seq) ? all : [...all, line]));
      });
    });
    return () => { gone = true; close(); closeLogs(); };
  }, [id]);

  const act = async (action) => {
    try {
      if (action === 'delete') {
        if (!confirm('Delete this job, its history, logs and files?')) return;
        await call('DELETE', `/v1/jobs/${encodeURIComponent(id)}`);
        navigate('/');
        return;
      }
      setJob(await post(`/v1/jobs/${encodeURIComponent(id)}/${action}`));
      setNotice(`${action}: done.`);
    } catch (e) {
      setError(e.message);
    }
  };
  const replay = async (delivery) => {
    try {
      await post(`/v1/deliveries/${encodeURIComponent(delivery)}/replay`);
      setNotice('Delivery sent again.');
      refreshOutputs();
    } catch (e) {
      setError(e.message);
    }
  };

  if (!job) return html`<section>${error ? html`<p class="error" role="alert">${error}</p>` : html`<p>Loading…</p>`}</section>`;
  const running = job.status === 'running' || job.status === 'queued';
  return html`
    <section class="job">
      <div class="bar">
        <h1 class="mono">${job.title || job.id}</h1>
        <${Status} status=${job.status} />
        ${job.cancel_requested && job.status === 'running' && html`<span class="status">cancel requested</span>`}
      </div>
      ${notice && html`<p class="notice" role="status">${notice}</p>`}
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <div class="actions">
        <button type="button" disabled=${!running} onClick=${() => act('cancel')}>Cancel</button>
        <button type="button" disabled=${!['failed', 'cancelled'].includes(job.status)} onClick=${() => act('retry')}>Retry</button>
        <button type="button" disabled=${job.status === 'running'} onClick=${() => act('delete')}>Delete</button>
      </div>
      <dl class="facts">
        <dt>Id</dt><dd class="mono">${job.id}</dd>
        <dt>Type</dt><dd>${job.type}</dd>
        <dt>Queue</dt><dd>${job.queue} (priority ${job.priority})</dd>
        <dt>Attempt</dt><dd>${job.attempt} of ${job.max_attempts}</dd>
        <dt>Progress</dt><dd>${job.progress?.fraction != null ? html`<progress max="1" value=${job.progress.fraction}></progress> ${Math.round(job.progress.fraction * 100)}%` : '—'} ${job.progress?.message || ''}</dd>
        <dt>Created</dt><dd>${time(job.created_at)}</dd>
        <dt>Started</dt><dd>${time(job.started_at)}</dd>
        <dt>Ended</dt><dd>${time(job.ended_at)}</dd>
        ${job.batch_id && html`<dt>Batch</dt><dd class="mono">${job.batch_id}</dd>`}
        ${job.usage && html`<dt>Usage</dt><dd>${job.usage.run_ms} ms${job.usage.cost ? `, ${job.usage.cost.amount} ${job.usage.cost.currency}` : ''}</dd>`}
      </dl>
      <h2>Input</h2>
      <${Json} value=${job.input} label="input" />
      ${job.metadata && Object.keys(job.metadata).length > 0 && html`<h2>Metadata</h2><${Json} value=${job.metadata} label="metadata" />`}
      ${job.result != null && html`<h2>Result</h2><${Json} value=${job.result} label="result" />`}
      ${job.error && html`<h2>Error</h2><${Json} value=${job.error} label="error" />`}
      <h2>Timeline</h2>
      <ol class="timeline">
        ${timeline(events).map((e) => html`<li key=${e.seq}><time datetime=${e.at}>${time(e.at)}</time> <strong>${e.kind}</strong>${e.times > 1 ? ` ×${e.times}` : ''} attempt ${e.attempt}${e.data?.message ? ` — ${e.data.message}` : ''}</li>`)}
      </ol>
      <h2>Logs</h2>
      ${logs.length ? html`<pre class="logs" tabindex="0" aria-label="logs">${logs.map((l) => `${l.at} [${l.attempt}] ${l.line}`).join('\n')}</pre>` : html`<p class="empty">No logs.</p>`}
      <h2>Files</h2>
      ${files.length ? html`<ul class="files">${files.map((f) => html`<li key=${f.name}><a href=${f.url} download=${f.name}>${f.name}</a> <span>${bytes(f.size)}</span> <span class="mono dim">${f.content_type}</span></li>`)}</ul>` : html`<p class="empty">No files.</p>`}
      <h2>Webhook deliveries</h2>
      ${deliveries.length ? html`
        <table class="deliveries"><thead><tr><th>Event</th><th>State</th><th>Tries</th><th>Last answer</th><th>Delivered</th><th></th></tr></thead>
          <tbody>${deliveries.map((d) => html`
            <tr key=${d.id} data-delivery=${d.id}><td>${d.type}</td><td>${d.state}</td><td>${d.attempts}</td>
              <td>${d.last_status ?? d.last_error ?? '—'}</td><td>${time(d.delivered_at)}</td>
              <td><button type="button" onClick=${() => replay(d.id)}>Replay</button></td></tr>`)}</tbody></table>` : html`<p class="empty">No deliveries.</p>`}
    </section>`;
}
