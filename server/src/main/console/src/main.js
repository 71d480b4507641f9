import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { call, del, get, post } from './api.js';
import { Jobs } from './jobs.js';
import { JobPage } from './job.js';
import { Keys, Overview, Queues, Schedules, UsagePage, Webhooks, Workers } from './pages.js';
import { html, Link, navigate } from './ui.js';
import './style.css';

const VIEWS = { '/': Overview, '/jobs': Jobs, '/queues': Queues, '/workers': Workers, '/schedules': Schedules,
  '/webhooks': Webhooks, '/usage': UsagePage, '/keys': Keys };

function route() {
  const path = location.pathname.replace(/^\/ui/, '').replace(/\/$/, '') || '/';
  const job = path.match(/^\/jobs\/([^/]+)$/);
  if (job) return { path: '/jobs', id: decodeURIComponent(job[1]) };
  return { path: VIEWS[path] ? path : '/' };
}

function SignIn({ onSignedIn }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await post('/ui/session', { api_key: key }));
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <main class="signin">
      <form onSubmit=${submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Spool</h1>
        <p>Sign in with an API key. A tenant key sees its tenant's jobs; an admin key sees every tenant.</p>
        <label for="api-key">API key</label>
        <input id="api-key" name="api_key" type="password" autocomplete="off" required value=${key}
               onInput=${(e) => setKey(e.target.value)} placeholder="spool_…" />
        ${error && html`<p class="error" role="alert">${error}</p>`}
        <button type="submit" disabled=${busy}>Sign in</button>
      </form>
    </main>`;
}

const NAV = [['/', 'Overview'], ['/jobs', 'Jobs'], ['/queues', 'Queues'], ['/schedules', 'Schedules'],
  ['/webhooks', 'Webhooks'], ['/usage', 'Usage'], ['/workers', 'Workers', 'admin'], ['/keys', 'Keys', 'admin']];

function TenantPicker({ who, onPick }) {
  const [tenants, setTenants] = useState([who.acting_for]);
  useEffect(() => {
    get('/v1/keys').then((k) => setTenants([...new Set([who.tenant, who.acting_for, ...k.data.map((x) => x.tenant)])].sort())).catch(() => {});
  }, []);
  const pick = async (e) => onPick(await call('PATCH', '/ui/session', { tenant: e.target.value === who.tenant ? '' : e.target.value }));
  return html`<label class="picker">Tenant <select value=${who.acting_for} onChange=${pick}>
    ${tenants.map((t) => html`<option value=${t}>${t}</option>`)}</select></label>`;
}

function Shell({ who, where, onSignOut, onPick, children }) {
  const [dark, setDark] = useState(() => document.documentElement.dataset.theme === 'dark');
  const toggle = () => {
    const next = !dark;
    setDark(next);
    document.documentElement.dataset.theme = next ? 'dark' : 'light';
  };
  return html`
    <div class="shell">
      <header>
        <${Link} to="/" class="brand">Spool<//>
        <nav aria-label="Main">
          ${NAV.filter(([, , role]) => !role || who.role === role).map(([to, name]) => html`
            <${Link} to=${to} aria-current=${where.path === to ? 'page' : undefined}>${name}<//>`)}
        </nav>
        ${who.role === 'admin' ? html`<${TenantPicker} who=${who} onPick=${onPick} />` : html`<span class="who">${who.tenant}</span>`}
        <span class="who" title=${`key ${who.key_id}`}>${who.role}</span>
        <button type="button" class="plain" onClick=${toggle} aria-label="Switch between dark and light">${dark ? 'Light' : 'Dark'}</button>
        <button type="button" class="plain" onClick=${onSignOut}>Sign out</button>
      </header>
      <main>${children}</main>
    </div>`;
}

function App() {
  const [who, setWho] = useState(undefined);
  const [where, setWhere] = useState(route());
  useEffect(() => {
    get('/ui/session').then((s) => setWho(s.signed_in ? s : null)).catch(() => setWho(null));
    const onMove = () => setWhere(route());
    window.addEventListener('popstate', onMove);
    window.addEventListener('spool:navigate', onMove);
    return () => {
      window.removeEventListener('popstate', onMove);
      window.removeEventListener('spool:navigate', onMove);
    };
  }, []);
  if (who === undefined) return html`<p class="loading">Loading…</p>`;
  if (who === null) return html`<${SignIn} onSignedIn=${setWho} />`;
  const signOut = async () => {
    await del('/ui/session');
    setWho(null);
    navigate('/');
  };
  const View = VIEWS[where.path];
  return html`
    <${Shell} who=${who} where=${where} onSignOut=${signOut} onPick=${setWho}>
      ${where.id ? html`<${JobPage} id=${where.id} key=${`${who.acting_for}/${where.id}`} />`
        : html`<${View} who=${who} key=${`${who.acting_for}${where.path}`} />`}
    <//>`;
}

if (window.matchMedia('(prefers-color-scheme: dark)').matches) document.documentElement.dataset.theme = 'dark';
render(html`<${App} />`, document.getElementById('app'));
