// The console end to end, in Debian's Chromium driven by playwright-core, against a real Spool that
// ConsoleBrowserTest started. Every step asserts; the first failure ends the run with exit code 1.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

const { chromium } = await import(process.env.PLAYWRIGHT_CORE);
const BASE = process.env.SPOOL_URL;
const { ALICE_KEY, BOB_KEY, RECEIVER_URL, SHOTS } = process.env;
mkdirSync(SHOTS, { recursive: true });

async function api(key, method, path, body) {
  const res = await fetch(BASE + path, {
    method, headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
const submit = (key, job) => api(key, 'POST', '/v1/jobs', job);
async function until(what, check, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const errors = [];
function watch(page) {
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  page.on('dialog', (d) => d.accept());
}
async function signIn(context, key) {
  const page = await context.newPage();
  watch(page);
  await page.goto(`${BASE}/ui/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.goto(`${BASE}/ui/jobs`);
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  return page;
}
const steps = [];
const step = (name) => { steps.push(name); console.log(`- ${name}`); };

try {
  const desktop = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  const page = await signIn(desktop, ALICE_KEY);
  step('signed in with a tenant key; the key is in an HttpOnly cookie, not where scripts read it');
  const cookies = await desktop.cookies();
  assert.ok(cookies.some((c) => c.name === 'spool_console' && c.httpOnly && c.sameSite === 'Strict'));
  assert.equal(await page.evaluate(() => document.cookie.includes('spool_'), undefined), false);
  assert.equal(await page.evaluate(() => Object.keys(localStorage).length), 0);

  // A job submitted through the API appears in the list by itself, and its page follows it to the end.
  const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
  // Due in 3 s, so that its page shows it queued first.
  const job = await submit(ALICE_KEY, {
    type: 'sleep', input: { seconds: 2 }, title: evil, metadata: { trap: evil },
    webhook: { url: RECEIVER_URL }, run_at: new Date(Date.now() + 3000).toISOString(),
  });
  await page.locator(`tr[data-job="${job.id}"]`).waitFor();
  step('the list showed a new job without a reload (the tenant event stream)');
  await page.locator(`tr[data-job="${job.id}"] a`).click();
  await page.locator('.bar .status').first().waitFor();
  const seen = new Set();
  await until('the job to succeed on its page', async () => {
    seen.add(await page.locator('.bar .status').first().textContent());
    return seen.has('succeeded');
  }, 20000);
  assert.ok(seen.has('queued') && seen.has('running'), `statuses seen: ${[...seen]}`);
  await page.locator('.timeline li', { hasText: 'succeeded' }).waitFor();
  step(`watched it go ${[...seen].join(' → ')} on its page, without a reload`);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.ok((await page.locator('h1').first().textContent()).includes('<img'), 'the title is shown as text');
  const echo = await submit(ALICE_KEY, { type: 'echo', input: { note: evil } });
  await page.goto(`${BASE}/ui/jobs/${echo.id}`);
  await page.locator('pre[aria-label="result"]').waitFor();
  assert.ok((await page.locator('pre[aria-label="input"]').textContent()).includes('onerror'));
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.goto(`${BASE}/ui/jobs/${job.id}`);
  await page.locator('.timeline li', { hasText: 'succeeded' }).waitFor();
  step('markup in a job\'s title, metadata, input and result shows as text and never runs');
  await page.screenshot({ path: `${SHOTS}/job-desktop.png`, fullPage: true });

  // Replay the webhook delivery from the page.
  const row = page.locator('tr[data-delivery]').first();
  await row.waitFor();
  const deliveryId = await row.getAttribute('data-delivery');
  await until('the delivery to be made', async () => (await api(ALICE_KEY, 'GET', `/v1/deliveries/${deliveryId}`)).state === 'delivered');
  await row.getByRole('button', { name: 'Replay' }).click();
  await page.getByText('Delivery sent again.').waitFor();
  await until('the replay to be sent', async () => (await api(ALICE_KEY, 'GET', `/v1/deliveries/${deliveryId}`)).attempts >= 2);
  step('replayed a webhook delivery from the job page');

  // Cancel a running job from its page.
  const long = await submit(ALICE_KEY, { type: 'sleep', input: { seconds: 60 } });
  await page.goto(`${BASE}/ui/jobs/${long.id}`);
  await page.locator('.bar .status', { hasText: 'running' }).waitFor({ timeout: 15000 });
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.locator('.bar .status', { hasText: 'cancelled' }).waitFor({ timeout: 15000 });
  step('cancelled a running job from its page');

  // Download an input file.
  const boundary = 'console-e2e';
  const form = `--${boundary}\r\nContent-Disposition: form-data; name="job"\r\n\r\n{"type": "echo", "input": {}}\r\n`
    + `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\nnotes of alice\r\n--${boundary}--\r\n`;
  const withFile = await (await fetch(`${BASE}/v1/jobs`, {
    method: 'POST', body: form,
    headers: { Authorization: `Bearer ${ALICE_KEY}`, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
  })).json();
  await page.goto(`${BASE}/ui/jobs/${withFile.id}`);
  const link = page.getByRole('link', { name: 'notes.txt' });
  await link.waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.equal(await readFile(await download.path(), 'utf8'), 'notes of alice');
  step('downloaded a job file');

  // Filter the list, then retry every failed job that matches the filter.
  const failing = [];
  for (let i = 0; i < 3; i++) {
    failing.push(await submit(ALICE_KEY, { type: 'sleep', input: { seconds: 0, fail_attempts: 9 }, max_attempts: 1, metadata: { run: 'nightly-7' } }));
  }
  await submit(ALICE_KEY, { type: 'echo', input: {}, metadata: { run: 'nightly-7' } });
  await until('the three to fail', async () => {
    const all = await Promise.all(failing.map((j) => api(ALICE_KEY, 'GET', `/v1/jobs/${j.id}`)));
    return all.every((j) => j.status === 'failed');
  });
  await page.goto(`${BASE}/ui/jobs`);
  await page.getByLabel('Metadata').fill('run=nightly-7');
  await page.getByRole('checkbox', { name: 'failed' }).check();
  await page.getByRole('button', { name: 'Filter' }).click();
  await until('the filtered list', async () => (await page.locator('tbody tr').count()) === 3);
  await page.screenshot({ path: `${SHOTS}/jobs-desktop.png`, fullPage: true });
  await page.getByRole('button', { name: 'Retry all' }).click();
  await page.getByText('retry: 3 of 3 matching job(s) changed.').waitFor();
  const retried = await Promise.all(failing.map((j) => api(ALICE_KEY, 'GET', `/v1/jobs/${j.id}`)));
  assert.ok(retried.every((j) => j.attempt >= 1 && (j.status !== 'failed' || j.attempt > 1)), JSON.stringify(retried.map((j) => [j.status, j.attempt])));
  step('filtered the list and retried every failed job matching the filter');

  // A phone.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const small = await signIn(phone, ALICE_KEY);
  await small.screenshot({ path: `${SHOTS}/jobs-phone.png`, fullPage: true });
  await small.goto(`${BASE}/ui/jobs/${job.id}`);
  await small.locator('.timeline li').first().waitFor();
  await small.screenshot({ path: `${SHOTS}/job-phone.png`, fullPage: true });
  step('the jobs and job pages on a phone');

  // Every other page, at both widths.
  const pages = [['overview', '/ui/', 'Overview'], ['queues', '/ui/queues', 'Queues'], ['schedules', '/ui/schedules', 'Schedules'],
    ['webhooks', '/ui/webhooks', 'Webhook endpoints'], ['usage', '/ui/usage', 'Usage']];
  await page.goto(`${BASE}/ui/schedules`);
  await page.getByLabel('Cron').fill('0 3 * * *');
  await page.getByLabel('Time zone').fill('Europe/Berlin');
  await page.getByLabel('Job type').fill('echo');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.locator('tr[data-schedule]').first().waitFor();
  step('made a schedule from its page');
  await page.goto(`${BASE}/ui/webhooks`);
  await page.getByLabel('URL').fill(RECEIVER_URL);
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await page.getByText(/The signing secret of/).waitFor();
  step('added a webhook endpoint; its secret was shown');
  for (const [name, path, heading] of pages) {
    for (const [ctx, width] of [[page, 'desktop'], [small, 'phone']]) {
      await ctx.goto(`${BASE}${path}`);
      await ctx.getByRole('heading', { name: heading, exact: true }).waitFor();
      if (name === 'overview') await ctx.locator('svg.chart').waitFor();
      await ctx.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true });
    }
  }
  step('the overview, queues, schedules, webhooks and usage pages, at both widths');

  // An admin picks a tenant, makes a key and revokes it.
  const adminContext = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const admin = await signIn(adminContext, process.env.ADMIN_KEY);
  await admin.getByLabel('Tenant').selectOption('alice');
  await admin.locator(`tr[data-job="${job.id}"]`).waitFor();
  step("an admin picked alice's tenant and saw her jobs");
  const adminPhone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const adminSmall = await signIn(adminPhone, process.env.ADMIN_KEY);
  for (const [name, path, heading] of [['workers', '/ui/workers', 'Workers'], ['keys', '/ui/keys', 'API keys']]) {
    for (const [ctx, width] of [[admin, 'desktop'], [adminSmall, 'phone']]) {
      await ctx.goto(`${BASE}${path}`);
      await ctx.getByRole('heading', { name: heading, exact: true }).waitFor();
      await ctx.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true });
    }
  }
  step('the workers and keys pages, at both widths');
  await admin.goto(`${BASE}/ui/keys`);
  await admin.getByLabel('Name').fill('e2e-key');
  await admin.getByLabel('Tenant', { exact: true }).last().fill('carol');
  await admin.getByRole('button', { name: 'Create key' }).click();
  await admin.getByText('copy it now, it is shown only this once').waitFor();
  const secret = JSON.parse(await admin.locator('pre[aria-label="new key"]').textContent());
  assert.match(secret, /^spool_/);
  await api(secret, 'GET', '/v1/jobs');
  await admin.screenshot({ path: `${SHOTS}/key-created-desktop.png`, fullPage: true });
  const keyRow = admin.locator('tr[data-key]', { hasText: 'e2e-key' });
  await keyRow.getByRole('button', { name: 'Revoke' }).click();
  await keyRow.getByText(/revoked/).waitFor();
  const afterRevoke = await fetch(`${BASE}/v1/jobs`, { headers: { Authorization: `Bearer ${secret}` } });
  assert.equal(afterRevoke.status, 401);
  step('an admin created a key (shown once; it works) and revoked it (it stops working)');

  // Another tenant sees none of it.
  const other = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const bob = await signIn(other, BOB_KEY);
  await bob.getByText('No jobs match.').waitFor();
  const before = errors.length;
  await bob.goto(`${BASE}/ui/jobs/${job.id}`);
  await bob.getByText('No such job.').waitFor();
  // The one error the browser logs here is the API's 404 for a job that is not bob's: expected.
  const refused = errors.splice(before);
  assert.ok(refused.length <= 1 && refused.every((e) => e.includes('status of 404')), refused.join('\n'));
  step("another tenant's key sees none of the first tenant's jobs");

  // Signing out forgets the key.
  await bob.goto(`${BASE}/ui/jobs`);
  await bob.getByRole('button', { name: 'Sign out' }).click();
  await bob.getByLabel('API key').waitFor();
  assert.equal((await other.cookies()).filter((c) => c.name === 'spool_console' && c.value).length, 0);
  step('signed out: the cookie is gone');

  assert.deepEqual(errors, [], 'no console errors on any page');
  step('no console errors on any page');

  // Last, as it logs a violation on purpose: the policy stops a script put into the page.
  const csp = await page.evaluate(() => new Promise((resolve) => {
    document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), { once: true });
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.body.appendChild(s);
    setTimeout(() => resolve('no violation'), 2000);
  }));
  assert.match(csp, /^script-src/);
  assert.equal(await page.evaluate(() => window.__inline), undefined);
  step('the Content-Security-Policy stops an inline script');
  console.log(`console e2e: ${steps.length} steps passed`);
} catch (e) {
  console.error(`console e2e failed after: ${steps.join('; ')}\n${e.stack || e}`);
  if (errors.length) console.error(`console errors: ${errors.join('\n')}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
