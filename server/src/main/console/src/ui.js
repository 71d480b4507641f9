import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);

/** Where the page is, under /ui: the router is the address bar (History API), so links work and reload. */
export function navigate(path) {
  history.pushState(null, '', `/ui${path}`);
  window.dispatchEvent(new Event('spool:navigate'));
}

export function Link({ to, children, ...rest }) {
  const onClick = (e) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(to);
  };
  return html`<a href=${`/ui${to}`} onClick=${onClick} ...${rest}>${children}</a>`;
}

export function Status({ status }) {
  return html`<span class=${`status status-${status}`}>${status}</span>`;
}

/** JSON, formatted, with a button that copies it. */
export function Json({ value, label }) {
  const text = JSON.stringify(value, null, 2);
  const copy = () => navigator.clipboard?.writeText(text);
  return html`
    <div class="json">
      <button type="button" class="plain copy" onClick=${copy} aria-label=${`Copy ${label}`}>Copy</button>
      <pre tabindex="0" aria-label=${label}>${text}</pre>
    </div>`;
}
