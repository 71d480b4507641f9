import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { del, get, post } from './api.js';
import { Jobs } from './jobs.js';
import { JobPage } from './job.js';
import { html, Link, navigate } from './ui.js';
import './style.css';

function route() {
  const path = location.pathname.replace(/^\/ui/, '') || '/';
  const job = path.match(/^\/jobs\/([^/]+)$/);
  if (job) return { view: 'job', id: decodeURIComponent(job[1]) };
  return { view: 'jobs' };
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

function Shell({ who, onSignOut, children }) {
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
          <${Link} to="/">Jobs<//>
        </nav>
        <span class="who" title=${`key ${who.key_id}`}>${who.tenant} · ${who.role}</span>
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
  return html`
    <${Shell} who=${who} onSignOut=${signOut}>
      ${where.view === 'job' ? html`<${JobPage} id=${where.id} key=${where.id} />` : html`<${Jobs} />`}
    <//>`;
}

if (window.matchMedia('(prefers-color-scheme: dark)').matches) document.documentElement.dataset.theme = 'dark';
render(html`<${App} />`, document.getElementById('app'));
