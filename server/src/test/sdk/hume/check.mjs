// Hume's official TypeScript SDK (npm "hume", pinned in package.json) against Spool's Hume profile.
// Only the base URL differs from a program written for api.hume.ai.
//
//   node check.mjs <base url> <api key> <media file>
//
// Prints one JSON line {"submitted": ...} once both jobs are queued, then waits for them to end
// (the SDK's own awaitCompletion poller) while the caller serves them as a worker, and prints one
// JSON line {"summary": ...} of what the SDK read back. Exits non-zero on any unexpected error.
import fs from "node:fs";
import { HumeClient, HumeError } from "hume";

const [baseUrl, apiKey, mediaFile] = process.argv.slice(2);
const hume = new HumeClient({ apiKey, baseUrl });
const batch = hume.expressionMeasurement.batch;

const urlJob = await batch.startInferenceJob({
  urls: ["https://media.example/faces.zip"],
  models: { face: { fpsPred: 1 } },
});
const fileJob = await batch.startInferenceJobFromLocalFile({
  file: [fs.createReadStream(mediaFile)],
  json: { models: { prosody: {} } },
});
const queued = await batch.getJobDetails(urlJob.jobId);
const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");
print({ submitted: { url: urlJob.jobId, file: fileJob.jobId }, queued });

await Promise.all([urlJob.awaitCompletion(60), fileJob.awaitCompletion(60)]);

const completed = await batch.getJobDetails(urlJob.jobId);
const failed = await batch.getJobDetails(fileJob.jobId);
const listCompleted = await batch.listJobs({ status: "COMPLETED", limit: 10 });
const listOldestFirst = await batch.listJobs({ sortBy: "created", direction: "asc" });
const predictions = await batch.getJobPredictions(urlJob.jobId);
const artifacts = Buffer.from(await (await batch.getJobArtifacts(urlJob.jobId)).arrayBuffer());

async function refusal(call) {
  try {
    await call();
    return { statusCode: 0 };
  } catch (e) {
    if (!(e instanceof HumeError)) throw e;
    return { statusCode: e.statusCode, body: e.body };
  }
}
const missing = await refusal(() => batch.getJobDetails("no-such-job"));
const badKey = await refusal(() =>
  new HumeClient({ apiKey: "not-a-key", baseUrl, maxRetries: 0 }).expressionMeasurement.batch.listJobs());

print({
  summary: {
    completed,
    failed,
    listCompleted: listCompleted.map((j) => j.jobId),
    listOldestFirst: listOldestFirst.map((j) => j.jobId),
    predictions,
    artifacts: { bytes: artifacts.length, magic: artifacts.subarray(0, 2).toString("latin1") },
    missing,
    badKey,
  },
});
// awaitCompletion leaves its timeout timer running; end now instead of when it fires.
process.exit(0);
