// The client against a real Spool: jobs, events, files, paging, cancel, errors, batches, webhooks, retries, types.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import { openAsBlob, readFileSync, rmSync, writeFileSync, mkdtempSync, createWriteStream } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiError, Client, ConnectionFailed, InvalidSignature, WebhookVerifier, Worker } from "../dist/index.js";
import { ROOT, SpoolServer } from "./server.mjs";

let server, admin, tenant, worker, running;

before(async () => {
  server = await SpoolServer.start("limits: {tenants: {throttled: {requests_per_second: 4, burst: 1}}}\n");
  admin = new Client(server.url, { apiKey: server.adminKey });
  tenant = new Client(server.url, { apiKey: (await admin.createKey("ts-tests", { tenant: "ts" })).key });
  const workerClient = new Client(server.url, { apiKey: (await admin.createKey("ts-worker", { role: "worker" })).key });
  worker = new Worker(workerClient, { concurrency: 4, waitSeconds: 1, name: "ts-client-tests" });
  worker.handle("ts.echo", async (job) => {
    job.progress(0.5, "half way");
    await job.log("echoing", "done");
    return { echo: job.input };
  });
  worker.handle("ts.slow", async (job) => {
    while (!job.cancelled) await new Promise((r) => setTimeout(r, 50));
  });
  running = worker.run({ signals: false });
});

after(async () => {
  worker.stop();
  await running;
  await server.close();
});

describe("jobs", () => {
  test("submit, then wait for the result through events", async () => {
    const job = await tenant.submit("ts.echo", { text: "hello" }, { title: "greeting", metadata: { suite: "client" } });
    assert.equal(job.status, "queued");
    const done = await tenant.wait(job.id, 30_000);
    assert.equal(done.status, "succeeded");
    assert.deepEqual(done.result, { echo: { text: "hello" } });
    const kinds = (await tenant.history(job.id)).map((e) => e.kind);
    assert.equal(kinds[0], "submitted");
    assert.equal(kinds.at(-1), "succeeded");
    assert.deepEqual((await tenant.logs(job.id)).map((l) => l.line), ["echoing", "done"]);
  });

  test("events stream the history then live, and resume after an event id", async () => {
    const job = await tenant.submit("ts.echo", { n: 1 });
    const events = [];
    for await (const e of tenant.events(job.id)) events.push(e);
    assert.equal(events[0].event, "submitted");
    assert.equal(events.at(-1).event, "succeeded");
    assert.equal(events.at(-1).data.job_id, job.id);
    const resumed = [];
    for await (const e of tenant.events(job.id, { lastEventId: events[0].id })) resumed.push(e.id);
    assert.deepEqual(resumed, events.slice(1).map((e) => e.id));
  });

  test("a submit carries an idempotency key, so a repeat with the same key is one job", async () => {
    const key = `order-${randomUUID()}`;
    const first = await tenant.submit("ts.echo", { order: 1 }, { idempotencyKey: key });
    const again = await tenant.submit("ts.echo", { order: 1 }, { idempotencyKey: key });
    assert.equal(first.id, again.id);
    assert.ok((await tenant.submit("ts.echo", { order: 2 })).idempotency_key, "a key by default");
    await assert.rejects(tenant.submit("ts.echo", { order: 3 }, { idempotencyKey: key }),
      (e) => e instanceof ApiError && e.status === 422 && e.code === "idempotency_mismatch");
  });

  test("list pages through every match, newest first", async () => {
    const tag = randomUUID().slice(0, 12);
    const made = [];
    for (let i = 0; i < 25; i++) {
      made.push((await tenant.submit("ts.echo", { i }, { metadata: { page: tag }, run_at: "2099-01-01T00:00:00Z" })).id);
    }
    const sizes = [];
    const seen = [];
    let cursor;
    for (;;) {
      const page = await tenant.list({ metadata: { page: tag }, limit: 10, cursor });
      sizes.push(page.data.length);
      seen.push(...page.data.map((j) => j.id));
      if (!page.has_more) break;
      cursor = page.next_cursor;
    }
    assert.deepEqual(sizes, [10, 10, 5]);
    assert.deepEqual(seen, [...made].reverse());
    const all = [];
    for await (const j of tenant.jobs({ metadata: { page: tag }, limit: 7 })) all.push(j.id);
    assert.deepEqual(all, [...made].reverse());
    assert.equal((await tenant.bulk("cancel", { metadata: { page: tag }, dry_run: true })).matched, 25);
    await tenant.bulk("cancel", { metadata: { page: tag } });
    for await (const j of tenant.jobs({ metadata: { page: tag } })) assert.equal(j.status, "cancelled");
  });

  test("cancel a queued job and a running one", async () => {
    const later = await tenant.submit("ts.echo", {}, { run_at: "2099-01-01T00:00:00Z" });
    assert.equal((await tenant.cancel(later.id)).status, "cancelled");
    const slow = await tenant.submit("ts.slow", {});
    const deadline = Date.now() + 20_000;
    while ((await tenant.get(slow.id)).status !== "running") {
      assert.ok(Date.now() < deadline, "the slow job never started");
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((await tenant.cancel(slow.id)).cancel_requested, true);
    assert.equal((await tenant.wait(slow.id, 30_000)).status, "cancelled");
    const finished = await tenant.submit("ts.echo", {});
    await tenant.wait(finished.id, 30_000);
    await assert.rejects(tenant.cancel(finished.id), (e) => e instanceof ApiError && e.status === 409 && e.code === "invalid_state");
  });

  test("errors carry the problem details", async () => {
    await assert.rejects(tenant.get(randomUUID()), (e) =>
      e instanceof ApiError && e.status === 404 && e.code === "not_found" && e.problem.type === "urn:spool:problem:not_found");
    await assert.rejects(tenant.submit("no.such.type", {}), (e) => e instanceof ApiError && e.code === "unknown_type");
    await assert.rejects(new Client(server.url, { apiKey: `spool_aaaaaaaaaaaa_${"a".repeat(32)}` }).list(),
      (e) => e instanceof ApiError && e.status === 401);
    await assert.rejects(new Client("http://127.0.0.1:1", { apiKey: "k", retryFor: 0.5 }).list(), (e) => e instanceof ConnectionFailed);
  });

  test("another tenant sees none of the jobs", async () => {
    const job = await tenant.submit("ts.echo", { secret: true }, { run_at: "2099-01-01T00:00:00Z" });
    const other = new Client(server.url, { apiKey: (await admin.createKey("ts-other", { tenant: "ts-other" })).key });
    await assert.rejects(other.get(job.id), (e) => e instanceof ApiError && e.status === 404);
    for await (const j of other.jobs()) assert.notEqual(j.id, job.id);
  });

  test("a batch with one key makes its jobs once", async () => {
    const key = randomUUID();
    const jobs = Array.from({ length: 5 }, (_, i) => ({ type: "ts.echo", input: { i } }));
    const first = await tenant.submitBatch(jobs, key);
    const again = await tenant.submitBatch(jobs, key);
    assert.equal(first.id, again.id);
    assert.equal(first.total, 5);
  });

  test("429 is retried after Retry-After, or thrown with it when retries are off", async () => {
    const key = (await admin.createKey("ts-throttled", { tenant: "throttled" })).key;
    const throttled = new Client(server.url, { apiKey: key });
    const started = Date.now();
    for (let i = 0; i < 6; i++) await throttled.list({ limit: 1 });
    assert.ok(Date.now() - started > 500);
    const impatient = new Client(server.url, { apiKey: key, retryFor: 0 });
    await assert.rejects(async () => {
      for (let i = 0; i < 20; i++) await impatient.list({ limit: 1 });
    }, (e) => e instanceof ApiError && e.status === 429 && e.code === "rate_limited" && e.retryAfter >= 1);
  });
});

describe("files", () => {
  test("a 50 MB file goes up streamed and comes down with the same SHA-256", async () => {
    const dir = mkdtempSync(join(tmpdir(), "spool-ts-file-"));
    try {
      const source = join(dir, "big.bin");
      const hash = createHash("sha256");
      const out = createWriteStream(source);
      for (let i = 0; i < 50; i++) {
        const block = randomBytes(1 << 20);
        hash.update(block);
        out.write(block);
      }
      await new Promise((r) => out.end(r));
      const digest = hash.digest("hex");
      const job = await tenant.submit("ts.files", {}, { files: { "big.bin": await openAsBlob(source) }, run_at: "2099-01-01T00:00:00Z" });
      const listed = (await tenant.artifacts(job.id)).find((a) => a.name === "big.bin");
      assert.equal(listed.size, 50 << 20);
      assert.equal(listed.sha256, digest);
      const target = createWriteStream(join(dir, "back.bin"));
      assert.equal(await tenant.downloadTo(job.id, "big.bin", (chunk) => new Promise((r) => target.write(chunk, r))), digest);
      await new Promise((r) => target.end(r));
      assert.equal(createHash("sha256").update(readFileSync(join(dir, "back.bin"))).digest("hex"), digest);
      const part = await tenant.download(job.id, "big.bin", "bytes=0-9");
      assert.equal(part.status, 206);
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), readFileSync(source).subarray(0, 10));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("webhooks", () => {
  test("a real delivery verifies with the endpoint secret, a forged one does not", async () => {
    const received = [];
    const receiver = createServer((req, res) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(204).end();
      });
    });
    await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
    try {
      const hooks = new Client(server.url, { apiKey: (await admin.createKey("ts-hooks", { tenant: "ts-hooks" })).key });
      const endpoint = await hooks.createWebhook(`http://127.0.0.1:${receiver.address().port}/hooks`, { events: ["succeeded"] });
      assert.match(endpoint.secret, /^whsec_/);
      const job = await hooks.submit("ts.echo", { hook: true });
      await hooks.wait(job.id, 30_000);
      const deadline = Date.now() + 30_000;
      while (!received.length) {
        assert.ok(Date.now() < deadline, "no delivery arrived");
        await new Promise((r) => setTimeout(r, 50));
      }
      const { headers, body } = received[0];
      const event = await new WebhookVerifier(endpoint.secret).verify(body, headers);
      assert.equal(event.type, "job.succeeded");
      assert.equal(event.data.id, job.id);
      const forged = Buffer.from(body.toString().replace("succeeded", "failed"));
      await assert.rejects(new WebhookVerifier(endpoint.secret).verify(forged, headers), InvalidSignature);
      await assert.rejects(new WebhookVerifier(`whsec_${"QUJD".repeat(8)}`).verify(body, headers), InvalidSignature);
      await assert.rejects(new WebhookVerifier(endpoint.secret).verify(body, { ...headers, "webhook-timestamp": String(Math.floor(Date.now() / 1000) - 3600) }), InvalidSignature);
    } finally {
      receiver.close();
    }
  });
});

describe("types", () => {
  test("src/schema.d.ts is what the pinned generator makes of the served document", async () => {
    const doc = await admin.openapi();
    assert.equal(doc.servers[0].url, server.url);
    const dir = mkdtempSync(join(tmpdir(), "spool-ts-types-"));
    try {
      const spec = join(dir, "openapi.json");
      writeFileSync(spec, JSON.stringify(doc));
      const generated = join(dir, "schema.d.ts");
      const here = join(ROOT, "sdk", "typescript");
      execFileSync(process.execPath, [join(here, "node_modules", "openapi-typescript", "bin", "cli.js"), spec, "-o", generated,
        "--default-non-nullable", "false"], { stdio: "pipe" });
      assert.equal(readFileSync(join(here, "src", "schema.d.ts"), "utf8"), readFileSync(generated, "utf8"),
        "the API changed: run `npm run generate` against a server of this build");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
