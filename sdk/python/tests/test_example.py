"""examples/python/sdk_worker.py, run as its README says, against a real Spool."""
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
sys.path.insert(0, os.path.dirname(__file__))

import spool  # noqa: E402
from server import ROOT, SpoolServer  # noqa: E402


class ExampleTest(unittest.TestCase):
    def test_the_example_worker_shouts_and_stops_on_sigterm(self):
        server = SpoolServer()
        try:
            admin = spool.Client(server.url, server.admin_key)
            env = dict(os.environ, SPOOL_URL=server.url, SPOOL_API_KEY=admin.create_key("ex", role="worker")["key"],
                       PYTHONPATH=os.path.join(ROOT, "sdk", "python", "src"))
            example = os.path.join(ROOT, "examples", "python", "sdk_worker.py")
            with open(example) as f:
                self.assertLess(len(f.read().splitlines()), 40)
            process = subprocess.Popen([sys.executable, example], env=env)
            try:
                job = admin.submit("shout", {"text": "hello from python"})
                done = admin.wait(job["id"], timeout=60)
                self.assertEqual(done["result"], {"text": "HELLO FROM PYTHON", "words": 3})
                self.assertEqual([line["line"] for line in admin.logs(job["id"])], ["shouting 3 words"])
                empty = admin.wait(admin.submit("shout", {"text": ""})["id"], timeout=60)
                self.assertEqual((empty["status"], empty["error"]["code"]), ("failed", "empty_text"))
                process.send_signal(signal.SIGTERM)
                self.assertEqual(process.wait(60), 0)
            finally:
                if process.poll() is None:
                    process.kill()
            admin.close()
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
