"""The client against a real Spool: jobs, events, files, paging, cancel, errors, batches, webhooks, retries."""
import hashlib
import http.server
import json
import os
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
sys.path.insert(0, os.path.dirname(__file__))

import spool  # noqa: E402
from server import SpoolServer  # noqa: E402

SERVER = None
ADMIN = TENANT = WORKER = None
worker = None
worker_thread = None


def setUpModule():
    global SERVER, ADMIN, TENANT, WORKER, worker, worker_thread
    SERVER = SpoolServer("limits: {tenants: {throttled: {requests_per_second: 4, burst: 1}}}\n")
    ADMIN = spool.Client(SERVER.url, SERVER.admin_key)
    TENANT = spool.Client(SERVER.url, ADMIN.create_key("py-tests", tenant="py")["key"])
    WORKER = spool.Client(SERVER.url, ADMIN.create_key("py-worker", role="worker")["key"])
    worker = spool.Worker(WORKER, concurrency=4, name="py-client-tests", wait_seconds=2)

    @worker.handler("py.echo")
    def echo(job):
        job.progress(0.5, "half way")
        job.log("echoing", "done")
        return {"echo": job.input}

    @worker.handler("py.slow")
    def slow(job):
        while True:  # until the client cancels it
            job.check()
            time.sleep(0.05)

    worker_thread = threading.Thread(target=worker.run, kwargs={"install_signal_handlers": False}, daemon=True)
    worker_thread.start()


def tearDownModule():
    worker.stop()
    worker_thread.join(30)
    for client in (ADMIN, TENANT, WORKER):
        client.close()
    SERVER.close()


class JobsTest(unittest.TestCase):
    def test_submit_then_wait_for_the_result_through_events(self):
        job = TENANT.submit("py.echo", {"text": "hello"}, title="greeting", metadata={"suite": "client"})
        self.assertEqual(job["status"], "queued")
        self.assertEqual(job["title"], "greeting")
        done = TENANT.wait(job["id"], timeout=30)
        self.assertEqual(done["status"], "succeeded")
        self.assertEqual(done["result"], {"echo": {"text": "hello"}})
        kinds = [e["kind"] for e in TENANT.history(job["id"])]
        self.assertEqual(kinds[0], "submitted")
        self.assertEqual(kinds[-1], "succeeded")
        self.assertEqual([line["line"] for line in TENANT.logs(job["id"])], ["echoing", "done"])

    def test_events_stream_the_history_then_live_and_resume_after_an_event_id(self):
        job = TENANT.submit("py.echo", {"n": 1})
        events = list(TENANT.events(job["id"]))
        self.assertEqual(events[0].event, "submitted")
        self.assertEqual(events[-1].event, "succeeded")
        self.assertEqual(events[-1].data["job_id"], job["id"])
        resumed = list(TENANT.events(job["id"], last_event_id=events[0].id))
        self.assertEqual([e.id for e in resumed], [e.id for e in events[1:]])

    def test_a_submit_carries_an_idempotency_key_so_a_repeat_with_the_same_key_is_one_job(self):
        key = "order-" + uuid.uuid4().hex
        first = TENANT.submit("py.echo", {"order": 1}, idempotency_key=key)
        again = TENANT.submit("py.echo", {"order": 1}, idempotency_key=key)
        self.assertEqual(first["id"], again["id"])
        self.assertEqual(first["idempotency_key"], key)
        auto = TENANT.submit("py.echo", {"order": 2})
        self.assertIsNotNone(auto["idempotency_key"], "the SDK sends a key by default")
        with self.assertRaises(spool.Unprocessable) as refused:
            TENANT.submit("py.echo", {"order": 3}, idempotency_key=key)
        self.assertEqual(refused.exception.code, "idempotency_mismatch")

    def test_list_pages_through_every_match_newest_first(self):
        tag = uuid.uuid4().hex[:12]
        made = [TENANT.submit("py.echo", {"i": i}, metadata={"page": tag}, run_at="2099-01-01T00:00:00Z")["id"]
                for i in range(25)]
        pages = []
        cursor = None
        while True:
            page = TENANT.list(metadata={"page": tag}, limit=10, cursor=cursor)
            pages.append([j["id"] for j in page["data"]])
            if not page["has_more"]:
                break
            cursor = page["next_cursor"]
        self.assertEqual([len(p) for p in pages], [10, 10, 5])
        self.assertEqual([i for p in pages for i in p], list(reversed(made)))
        self.assertEqual([j["id"] for j in TENANT.iter_jobs(metadata={"page": tag}, limit=7)], list(reversed(made)))
        counted = TENANT.bulk("cancel", metadata={"page": tag}, dry_run=True)
        self.assertEqual(counted["matched"], 25)
        TENANT.bulk("cancel", metadata={"page": tag})
        self.assertEqual({j["status"] for j in TENANT.iter_jobs(metadata={"page": tag})}, {"cancelled"})

    def test_cancel_a_queued_job_and_a_running_one(self):
        later = TENANT.submit("py.echo", {}, run_at="2099-01-01T00:00:00Z")
        self.assertEqual(TENANT.cancel(later["id"])["status"], "cancelled")
        running = TENANT.submit("py.slow", {})
        deadline = time.monotonic() + 20
        while TENANT.get(running["id"])["status"] != "running":
            self.assertLess(time.monotonic(), deadline, "the slow job never started")
            time.sleep(0.05)
        asked = TENANT.cancel(running["id"])
        self.assertTrue(asked["cancel_requested"])
        self.assertEqual(TENANT.wait(running["id"], timeout=30)["status"], "cancelled")
        finished = TENANT.submit("py.echo", {})
        TENANT.wait(finished["id"], timeout=30)
        with self.assertRaises(spool.Conflict) as refused:
            TENANT.cancel(finished["id"])
        self.assertEqual(refused.exception.code, "invalid_state")

    def test_errors_are_exceptions_carrying_the_problem_details(self):
        with self.assertRaises(spool.NotFound) as missing:
            TENANT.get(str(uuid.uuid4()))
        self.assertEqual(missing.exception.status, 404)
        self.assertEqual(missing.exception.code, "not_found")
        self.assertEqual(missing.exception.problem["type"], "urn:spool:problem:not_found")
        with self.assertRaises(spool.Unprocessable) as unknown:
            TENANT.submit("no.such.type", {})
        self.assertEqual(unknown.exception.code, "unknown_type")
        with self.assertRaises(spool.Unauthenticated):
            spool.Client(SERVER.url, "spool_aaaaaaaaaaaa_" + "a" * 32).list()
        with self.assertRaises(spool.ConnectionFailed):
            spool.Client("http://127.0.0.1:1", "k", retry_for=0.5).list()

    def test_another_tenant_sees_none_of_the_jobs(self):
        job = TENANT.submit("py.echo", {"secret": True}, run_at="2099-01-01T00:00:00Z")
        other = spool.Client(SERVER.url, ADMIN.create_key("py-other", tenant="py-other")["key"])
        with self.assertRaises(spool.NotFound):
            other.get(job["id"])
        self.assertNotIn(job["id"], [j["id"] for j in other.iter_jobs()])

    def test_a_batch_with_one_key_makes_its_jobs_once(self):
        key = uuid.uuid4().hex
        jobs = [{"type": "py.echo", "input": {"i": i}} for i in range(5)]
        first = TENANT.submit_batch(jobs, idempotency_key=key)
        again = TENANT.submit_batch(jobs, idempotency_key=key)
        self.assertEqual(first["id"], again["id"])
        self.assertEqual(first["total"], 5)
        self.assertEqual(len(list(TENANT.iter_jobs(batch_id=first["id"]))), 5)

    def test_429_and_503_are_retried_after_retry_after(self):
        throttled = spool.Client(SERVER.url, ADMIN.create_key("py-throttled", tenant="throttled")["key"])
        started = time.monotonic()
        for _ in range(6):  # 4/s with a burst of 1: the SDK waits out each Retry-After
            throttled.list(limit=1)
        self.assertGreater(time.monotonic() - started, 0.5)
        impatient = spool.Client(SERVER.url, throttled.http.api_key, retry_for=0)
        with self.assertRaises(spool.RateLimited) as limited:
            for _ in range(20):
                impatient.list(limit=1)
        self.assertEqual(limited.exception.code, "rate_limited")
        self.assertGreaterEqual(limited.exception.retry_after, 1)


class FilesTest(unittest.TestCase):
    def test_a_50_mb_file_goes_up_streamed_and_comes_down_with_the_same_sha256(self):
        with tempfile.TemporaryDirectory() as folder:
            source = os.path.join(folder, "big.bin")
            digest = hashlib.sha256()
            with open(source, "wb") as f:
                for _ in range(50):
                    block = os.urandom(1 << 20)
                    digest.update(block)
                    f.write(block)
            job = TENANT.submit("py.files", {"what": "upload"}, files={"big.bin": source},
                                run_at="2099-01-01T00:00:00Z")
            listed = {a["name"]: a for a in TENANT.artifacts(job["id"])}
            self.assertEqual(listed["big.bin"]["size"], 50 << 20)
            self.assertEqual(listed["big.bin"]["sha256"], digest.hexdigest())
            target = os.path.join(folder, "back.bin")
            self.assertEqual(TENANT.download(job["id"], "big.bin", target), digest.hexdigest())
            with open(target, "rb") as f:
                back = hashlib.sha256()
                for block in iter(lambda: f.read(1 << 20), b""):
                    back.update(block)
            self.assertEqual(back.hexdigest(), digest.hexdigest())
            with TENANT.open_artifact(job["id"], "big.bin", range="bytes=0-9") as part:
                self.assertEqual(part.status, 206)
                self.assertEqual(b"".join(part.iter_bytes()), open(source, "rb").read(10))


class Receiver(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class WebhooksTest(unittest.TestCase):
    def test_a_real_delivery_verifies_with_the_endpoint_secret_and_a_forged_one_does_not(self):
        receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        try:
            hooks = spool.Client(SERVER.url, ADMIN.create_key("py-hooks", tenant="py-hooks")["key"])
            endpoint = hooks.create_webhook("http://127.0.0.1:%d/hooks" % receiver.server_port, events=["succeeded"])
            self.assertTrue(endpoint["secret"].startswith("whsec_"))
            job = hooks.submit("py.echo", {"hook": True})
            hooks.wait(job["id"], timeout=30)
            deadline = time.monotonic() + 30
            while not Receiver.received:
                self.assertLess(time.monotonic(), deadline, "no delivery arrived")
                time.sleep(0.05)
            headers, body = Receiver.received[0]
            event = spool.WebhookVerifier(endpoint["secret"]).verify(body, headers)
            self.assertEqual(event["type"], "job.succeeded")
            self.assertEqual(event["data"]["id"], job["id"])
            with self.assertRaises(spool.InvalidSignature):
                spool.verify(endpoint["secret"], body.replace(b"succeeded", b"failed"), headers)
            with self.assertRaises(spool.InvalidSignature):
                spool.verify("whsec_" + "QUJD" * 8, body, headers)
            stale = dict(headers, **{"webhook-timestamp": str(int(time.time()) - 3600)})
            with self.assertRaises(spool.InvalidSignature):
                spool.verify(endpoint["secret"], body, stale)
            # The receiver has it; Spool records it delivered once its answer is in.
            while hooks.webhook_deliveries(endpoint["id"])["data"][0]["state"] != "delivered":
                self.assertLess(time.monotonic(), deadline, "the delivery was never recorded as delivered")
                time.sleep(0.05)
        finally:
            receiver.shutdown()


class ModelsTest(unittest.TestCase):
    def test_the_committed_models_are_what_the_served_document_generates(self):
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
        import generate_models
        generated = generate_models.Generator(ADMIN.openapi()).run()
        with open(os.path.join(os.path.dirname(__file__), "..", "src", "spool", "models.py")) as f:
            committed = f.read()
        self.assertEqual(committed, generated, "the API changed: run tools/generate_models.py "
                                               "http://127.0.0.1:8080/openapi.json > src/spool/models.py")
        self.assertEqual(ADMIN.openapi()["servers"][0]["url"], SERVER.url)


if __name__ == "__main__":
    unittest.main()
