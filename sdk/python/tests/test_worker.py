"""The worker runtime against a real Spool: 1,000 jobs 8 at once through a server restart, files, cancel,
SIGTERM; and examples/python/sdk_worker.py."""
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
sys.path.insert(0, os.path.dirname(__file__))

import spool  # noqa: E402
from server import ROOT, SpoolServer  # noqa: E402

SRC = os.path.join(os.path.dirname(__file__), "..", "src")


class WorkerTest(unittest.TestCase):
    """One server for the class (a JVM start is seconds); the restart test restarts it."""

    @classmethod
    def setUpClass(cls):
        cls.server = SpoolServer()
        cls.admin = spool.Client(cls.server.url, cls.server.admin_key)
        cls.tenant = spool.Client(cls.server.url, cls.admin.create_key("py-tenant", tenant="py")["key"])
        cls.worker_key = cls.admin.create_key("py-worker", role="worker")["key"]

    @classmethod
    def tearDownClass(cls):
        cls.admin.close()
        cls.tenant.close()
        cls.server.close()

    def test_a_worker_runs_1000_jobs_8_at_once_and_survives_a_server_restart(self):
        batches = [self.tenant.submit_batch([{"type": "py.echo", "input": {"i": b * 500 + i}} for i in range(500)])
                   for b in range(2)]
        lock = threading.Lock()
        state = {"now": 0, "most": 0, "ran": 0}
        seen = set()
        worker = spool.Worker(spool.Client(self.server.url, self.worker_key), concurrency=8, wait_seconds=2)

        @worker.handler("py.echo")
        def echo(job):
            with lock:
                state["now"] += 1
                state["most"] = max(state["most"], state["now"])
                state["ran"] += 1
                seen.add(job.id)
            time.sleep(0.01)
            with lock:
                state["now"] -= 1
            return {"i": job.input["i"]}

        runner = threading.Thread(target=worker.run, kwargs={"install_signal_handlers": False}, daemon=True)
        runner.start()
        try:
            deadline = time.monotonic() + 60
            while state["ran"] < 300:
                self.assertLess(time.monotonic(), deadline, "the worker ran %d jobs in 60 s" % state["ran"])
                time.sleep(0.01)
            self.server.restart()  # while the worker holds jobs, claims and reports
            restarted_at = state["ran"]
            deadline = time.monotonic() + 180
            while True:
                counts = [self.tenant.batch(b["id"])["counts"] for b in batches]
                if sum(c["succeeded"] for c in counts) == 1000:
                    break
                self.assertLess(time.monotonic(), deadline, "not all succeeded: %s" % counts)
                time.sleep(0.2)
        finally:
            worker.stop()
            runner.join(60)
        self.assertFalse(runner.is_alive(), "the worker stopped")
        self.assertLess(restarted_at, 1000, "the restart came while jobs were left")
        self.assertEqual(len(seen), 1000)
        self.assertLessEqual(state["most"], 8)
        self.assertEqual(state["most"], 8, "8 ran at once")
        results = {j["result"]["i"] for j in self.tenant.iter_jobs(batch_id=batches[0]["id"], limit=1000)}
        self.assertEqual(results, set(range(500)))
        print("\n1,000 jobs, 8 at once, server restarted after %d: %d handler runs (%d again after the restart)"
              % (restarted_at, state["ran"], state["ran"] - 1000), file=sys.stderr)

    def test_progress_logs_files_and_cancel_reach_the_client(self):
        worker = spool.Worker(spool.Client(self.server.url, self.worker_key), concurrency=2, wait_seconds=1)
        payload = os.urandom(300_000)

        @worker.handler("py.files")
        def files(job):
            job.progress(0.25, "reading")
            job.log("got %d input files" % len(job.inputs))
            job.upload("out.bin", payload)
            return {"inputs": [f["name"] for f in job.inputs]}

        @worker.handler("py.slow")
        def slow(job):
            job.progress(0.1, "waiting for the cancel")
            while not job.cancelled:
                time.sleep(0.05)
            return None  # returning after a cancel reports the cancel

        runner = threading.Thread(target=worker.run, kwargs={"install_signal_handlers": False}, daemon=True)
        runner.start()
        try:
            job = self.tenant.submit("py.files", {}, files={"in.txt": b"hello"})
            done = self.tenant.wait(job["id"], timeout=30)
            self.assertEqual(done["status"], "succeeded")
            self.assertEqual(done["result"], {"inputs": ["in.txt"]})
            outputs = {a["name"]: a for a in self.tenant.artifacts(job["id"]) if a["kind"] == "output"}
            self.assertEqual(outputs["out.bin"]["sha256"], hashlib.sha256(payload).hexdigest())
            self.assertEqual(self.tenant.logs(job["id"])[0]["line"], "got 1 input files")
            with tempfile.TemporaryDirectory() as folder:
                self.tenant.download_zip(job["id"], os.path.join(folder, "all.zip"))
                with zipfile.ZipFile(os.path.join(folder, "all.zip")) as zipped:
                    self.assertEqual(sorted(zipped.namelist()), ["inputs/in.txt", "out.bin"])  # inputs in their folder
                    self.assertEqual(zipped.read("out.bin"), payload)

            slow = self.tenant.submit("py.slow", {})
            progress = None
            for event in self.tenant.events(slow["id"]):
                if event.event == "progress" and progress is None:
                    progress = event.data["data"]
                    self.tenant.cancel(slow["id"])
            self.assertEqual(progress["message"], "waiting for the cancel")
            self.assertEqual(self.tenant.get(slow["id"])["status"], "cancelled")
        finally:
            worker.stop()
            runner.join(30)

    def test_sigterm_stops_claiming_and_releases_what_it_holds(self):
        script = (
            "import sys, time; sys.path.insert(0, %r)\n"
            "import spool\n"
            "worker = spool.Worker(spool.Client(%r, %r), concurrency=2, wait_seconds=1, grace=0.5)\n"
            "@worker.handler('py.slow')\n"
            "def slow(job):\n"
            "    print('started', job.id, flush=True)\n"
            "    time.sleep(600)\n"
            "worker.run()\n"
            "print('stopped', flush=True)\n") % (os.path.abspath(SRC), self.server.url, self.worker_key)
        process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        try:
            job = self.tenant.submit("py.slow", {})
            self.assertEqual(process.stdout.readline().split(), ["started", job["id"]])
            process.send_signal(signal.SIGTERM)
            self.assertEqual(process.wait(30), 0)
            self.assertEqual(process.stdout.read().strip(), "stopped")
        finally:
            if process.poll() is None:
                process.kill()
        back = self.tenant.get(job["id"])
        self.assertEqual(back["status"], "queued", "released at once, not left to its lease")
        self.assertEqual(self.tenant.history(job["id"])[-1]["kind"], "given_back")


    def test_the_example_worker_shouts_and_stops_on_sigterm(self):
        """examples/python/sdk_worker.py, run as its docstring says."""
        example = os.path.join(ROOT, "examples", "python", "sdk_worker.py")
        with open(example) as f:
            self.assertLess(len(f.read().splitlines()), 40)
        env = dict(os.environ, SPOOL_URL=self.server.url, SPOOL_API_KEY=self.worker_key,
                   PYTHONPATH=os.path.join(ROOT, "sdk", "python", "src"))
        process = subprocess.Popen([sys.executable, example], env=env)
        try:
            job = self.tenant.submit("shout", {"text": "hello from python"})
            done = self.tenant.wait(job["id"], timeout=60)
            self.assertEqual(done["result"], {"text": "HELLO FROM PYTHON", "words": 3})
            self.assertEqual([line["line"] for line in self.tenant.logs(job["id"])], ["shouting 3 words"])
            empty = self.tenant.wait(self.tenant.submit("shout", {"text": ""})["id"], timeout=60)
            self.assertEqual((empty["status"], empty["error"]["code"]), ("failed", "empty_text"))
            process.send_signal(signal.SIGTERM)
            self.assertEqual(process.wait(60), 0)
        finally:
            if process.poll() is None:
                process.kill()

if __name__ == "__main__":
    unittest.main()
