#!/usr/bin/env python3
"""A Spool worker in plain Python (standard library only).

It claims jobs of one type, keeps each alive with heartbeats while it works, appends log lines,
and reports the result, or a failure. Run it with a worker key:

    SPOOL_URL=http://127.0.0.1:8080 SPOOL_API_KEY=spool_... python3 worker.py --type shout

The work itself is in `work()`: here it shouts a text back, one word at a time.
"""
import argparse
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request


class Stale(Exception):
    """The attempt is no longer ours (rescued, cancelled and retried, or deleted): stop, report nothing."""


class Spool:
    def __init__(self, url, key):
        self.url = url.rstrip("/")
        self.key = key

    def post(self, path, body, timeout=30):
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": "Bearer " + self.key, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                text = answer.read()
                return json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            if e.code in (404, 409):
                raise Stale(json.loads(e.read()).get("detail")) from e
            raise

    def claim(self, worker_id, job_type, wait_seconds):
        body = {"worker_id": worker_id, "name": "python example", "types": [job_type], "max": 1,
                "wait_seconds": wait_seconds}
        return self.post("/v1/worker/claim", body, timeout=wait_seconds + 30)["jobs"]

    def heartbeat(self, job, fraction=None, message=None):
        body = {"attempt": job["attempt"]}
        if fraction is not None:
            body["progress"] = {"fraction": fraction, "message": message or ""}
        return self.post("/v1/worker/jobs/%s/heartbeat" % job["id"], body)

    def log(self, job, *lines):
        self.post("/v1/worker/jobs/%s/logs" % job["id"], {"attempt": job["attempt"], "lines": list(lines)})

    def complete(self, job, result, units=0):
        self.post("/v1/worker/jobs/%s/complete" % job["id"],
                  {"attempt": job["attempt"], "result": result, "usage": {"units": units}})

    def fail(self, job, code, message, retryable=True):
        self.post("/v1/worker/jobs/%s/fail" % job["id"],
                  {"attempt": job["attempt"], "error": {"code": code, "message": message}, "retryable": retryable})


class Heartbeat(threading.Thread):
    """Keeps the job's lease while work() runs, and carries its progress; notices a cancel."""

    def __init__(self, spool, job):
        super().__init__(daemon=True)
        self.spool, self.job = spool, job
        self.progress = (None, None)
        self.cancelled = threading.Event()
        self.lost = threading.Event()
        self.done = threading.Event()

    def run(self):
        interval = self.job["heartbeat_interval_ms"] / 1000.0 / 2
        while not self.done.wait(interval):
            try:
                answer = self.spool.heartbeat(self.job, *self.progress)
                if answer["cancel_requested"]:
                    self.cancelled.set()
            except Stale:
                self.lost.set()
                return


def work(job, beat, spool):
    """Shouts the input text back, word by word, reporting progress: replace with your own work."""
    words = job["input"].get("text", "").split()
    if not words:
        raise ValueError("input.text is empty")
    spool.log(job, "shouting %d words" % len(words))
    shouted = []
    for i, word in enumerate(words):
        if beat.cancelled.is_set() or beat.lost.is_set():
            return None
        shouted.append(word.upper())
        beat.progress = ((i + 1) / len(words), "word %d of %d" % (i + 1, len(words)))
        time.sleep(job["input"].get("delay", 0))
    return {"text": " ".join(shouted), "words": len(words)}


def handle(spool, job):
    beat = Heartbeat(spool, job)
    beat.start()
    try:
        result = work(job, beat, spool)
    except Exception as e:  # a failure of the work: tell Spool, which retries it while attempts remain
        beat.done.set()
        spool.fail(job, type(e).__name__, str(e), retryable=not isinstance(e, ValueError))
        return
    beat.done.set()
    if beat.lost.is_set():
        return
    if beat.cancelled.is_set():
        spool.fail(job, "cancelled", "stopped at the client's request", retryable=False)
        return
    spool.complete(job, result, units=result["words"])


def main():
    parser = argparse.ArgumentParser(description="A Spool worker in plain Python.")
    parser.add_argument("--type", required=True, help="the job type to run (declared with executor: worker)")
    parser.add_argument("--max-jobs", type=int, default=0, help="stop after this many jobs (0: never)")
    parser.add_argument("--wait", type=int, default=20, help="seconds each claim may wait for work")
    args = parser.parse_args()
    spool = Spool(os.environ.get("SPOOL_URL", "http://127.0.0.1:8080"), os.environ["SPOOL_API_KEY"])
    worker_id = "%s:%d" % (socket.gethostname(), os.getpid())
    handled = 0
    while not args.max_jobs or handled < args.max_jobs:
        for job in spool.claim(worker_id, args.type, args.wait):
            try:
                handle(spool, job)
            except Stale as e:
                print("job %s: no longer ours: %s" % (job["id"], e), flush=True)
            handled += 1


if __name__ == "__main__":
    main()
