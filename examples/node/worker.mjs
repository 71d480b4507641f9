#!/usr/bin/env node
// A Spool worker on the TypeScript SDK: shouts a text back, word by word, with progress and a log line.
//   SPOOL_URL=http://127.0.0.1:8080 SPOOL_API_KEY=<worker key> node worker.mjs
import { Failure, Worker } from "@spool-dev/sdk";

const worker = new Worker(undefined, { concurrency: 4 }); // SPOOL_URL and SPOOL_API_KEY from the environment
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

worker.handle("shout", async (job) => {
  const words = String(job.input.text ?? "").split(/\s+/).filter(Boolean);
  if (!words.length) throw new Failure("empty_text", "input.text is empty", false);
  await job.log(`shouting ${words.length} words`);
  const shouted = [];
  for (const [i, word] of words.entries()) {
    job.check(); // stops here when the client cancels the job
    shouted.push(word.toUpperCase());
    job.progress((i + 1) / words.length, `word ${i + 1} of ${words.length}`);
    await pause(Number(job.input.delay ?? 0) * 1000);
  }
  return { text: shouted.join(" "), words: words.length };
});

await worker.run(); // until SIGTERM or Ctrl-C; running jobs finish, or are released
