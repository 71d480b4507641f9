// The worker runtime against a real Spool: 1,000 jobs 8 at once through a server restart, files and
// cancel, SIGTERM; and examples/node/worker.mjs run as its README says.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Client, Worker } from "../dist/index.js";
import { ROOT, SpoolServer } from "./server.mjs";

let server, admin, tenant, workerKey;
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

// One server for the file (a JVM start is seconds); the restart test restarts it.
before(async () => {
  server = await SpoolServer.start();
  admin = new Client(server.url, { apiKey: server.adminKey });
  tenant = new Client(server.url, { apiKey: (await admin.createKey("ts-tenant", { tenant: "ts" })).key });
  workerKey = (await admin.createKey("ts-worker", { role: "worker" })).key;
});

after(async () => {
  await server.close();
});

test("a worker runs 1,000 jobs 8 at once and survives a server restart", async () => {
  const batches = [];
  for (let b = 0; b < 2; b++) {
    batches.push(await tenant.submitBatch(Array.from({ length: 500 }, (_, i) => ({ type: "ts.echo", input: { i: b * 500 + i } }))));
  }
  const state = { now: 0, most: 0, ran: 0 };
  const seen = new Set();
  const worker = new Worker(new Client(server.url, { apiKey: workerKey }), { concurrency: 8, waitSeconds: 2 });
  worker.handle("ts.echo", async (job) => {
    state.now++;
    state.most = Math.max(state.most, state.now);
    state.ran++;
    seen.add(job.id);
    await pause(10);
    state.now--;
    return { i: job.input.i };
  });
  const running = worker.run({ signals: false });
  let restartedAt;
  try {
    let deadline = Date.now() + 60_000;
    while (state.ran < 300) {
      assert.ok(Date.now() < deadline, `the worker ran ${state.ran} jobs in 60 s`);
      await pause(10);
    }
    await server.restart(); // while the worker holds jobs, claims and reports
    restartedAt = state.ran;
    deadline = Date.now() + 180_000;
    for (;;) {
      const counts = await Promise.all(batches.map(async (b) => (await tenant.batch(b.id)).counts));
      if (counts.reduce((n, c) => n + c.succeeded, 0) === 1000) break;
      assert.ok(Date.now() < deadline, `not all succeeded: ${JSON.stringify(counts)}`);
      await pause(200);
    }
  } finally {
    worker.stop();
    await running;
  }
  assert.ok(restartedAt < 1000, "the restart came while jobs were left");
  assert.equal(seen.size, 1000);
  assert.equal(state.most, 8, "8 ran at once, never more");
  const results = new Set();
  for await (const j of tenant.jobs({ batch_id: batches[0].id, limit: 1000 })) results.add(j.result.i);
  assert.equal(results.size, 500);
  console.log(`1,000 jobs, 8 at once, server restarted after ${restartedAt}: ${state.ran} handler runs (${state.ran - 1000} again after the restart)`);
});

test("progress, logs, files and cancel reach the client", async () => {
  const payload = randomBytes(300_000);
  const worker = new Worker(new Client(server.url, { apiKey: workerKey }), { concurrency: 2, waitSeconds: 1 });
  worker.handle("ts.files", async (job) => {
    job.progress(0.25, "reading");
    await job.log(`got ${job.inputs.length} input files`);
    await job.upload("out.bin", payload);
    return { inputs: job.inputs.map((f) => f.name) };
  });
  worker.handle("ts.slow", async (job) => {
    job.progress(0.1, "waiting for the cancel");
    await new Promise((resolve) => job.signal.addEventListener("abort", resolve, { once: true }));
    return null; // returning after a cancel reports the cancel
  });
  const running = worker.run({ signals: false });
  try {
    const job = await tenant.submit("ts.files", {}, { files: { "in.txt": "hello" } });
    const done = await tenant.wait(job.id, 30_000);
    assert.equal(done.status, "succeeded");
    assert.deepEqual(done.result, { inputs: ["in.txt"] });
    const out = (await tenant.artifacts(job.id)).find((a) => a.name === "out.bin");
    assert.equal(out.sha256, createHash("sha256").update(payload).digest("hex"));
    assert.equal((await tenant.logs(job.id))[0].line, "got 1 input files");
    const zip = Buffer.from(await (await tenant.downloadZip(job.id)).arrayBuffer());
    assert.equal(zip.subarray(0, 2).toString(), "PK");
    assert.ok(zip.includes(Buffer.from("out.bin")) && zip.includes(Buffer.from("in.txt")));

    const slow = await tenant.submit("ts.slow", {});
    let progress;
    for await (const e of tenant.events(slow.id)) {
      if (e.event === "progress" && !progress) {
        progress = e.data.data;
        await tenant.cancel(slow.id);
      }
    }
    assert.equal(progress.message, "waiting for the cancel");
    assert.equal((await tenant.get(slow.id)).status, "cancelled");
  } finally {
    worker.stop();
    await running;
  }
});

test("SIGTERM stops claiming and releases what the worker holds", async () => {
  const script = `
    import { Client, Worker } from ${JSON.stringify(join(ROOT, "sdk", "typescript", "dist", "index.js"))};
    const worker = new Worker(new Client(${JSON.stringify(server.url)}, { apiKey: ${JSON.stringify(workerKey)} }),
      { concurrency: 2, waitSeconds: 1, graceMs: 500 });
    worker.handle("ts.slow", (job) => {
      console.log("started", job.id);
      return new Promise((resolve) => job.signal.addEventListener("abort", resolve, { once: true }));
    });
    await worker.run();
    console.log("stopped");`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise((r) => child.once("exit", r));
  try {
    const job = await tenant.submit("ts.slow", {});
    assert.equal((await lines.next()).value, `started ${job.id}`);
    child.kill("SIGTERM");
    assert.equal((await lines.next()).value, "stopped");
    assert.equal(await exited, 0);
    assert.equal((await tenant.get(job.id)).status, "queued", "released at once, not left to its lease");
    assert.equal((await tenant.history(job.id)).at(-1).kind, "given_back");
  } finally {
    child.kill("SIGKILL");
  }
});

test("examples/node/worker.mjs shouts, in under 40 lines", async () => {
  const example = join(ROOT, "examples", "node", "worker.mjs");
  // As its README says: npm install links the SDK from this repository.
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: join(ROOT, "examples", "node"), stdio: "inherit" });
  assert.ok(readFileSync(example, "utf8").trimEnd().split("\n").length < 40);
  const child = spawn(process.execPath, [example], {
    env: { ...process.env, SPOOL_URL: server.url, SPOOL_API_KEY: workerKey }, stdio: "inherit",
  });
  const exited = new Promise((r) => child.once("exit", r));
  try {
    const done = await tenant.wait((await tenant.submit("shout", { text: "hello from node" })).id, 60_000);
    assert.deepEqual(done.result, { text: "HELLO FROM NODE", words: 3 });
    assert.deepEqual((await tenant.logs(done.id)).map((l) => l.line), ["shouting 3 words"]);
    const empty = await tenant.wait((await tenant.submit("shout", { text: "" })).id, 60_000);
    assert.deepEqual([empty.status, empty.error.code], ["failed", "empty_text"]);
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  } finally {
    child.kill("SIGKILL");
  }
});
