"""A real Spool server for the tests: ``java -jar $SPOOL_JAR serve`` on a free port and a fresh data folder.

``SPOOL_JAR`` is the command-line jar (``cli/target/spool.jar``, built by ``./mvnw package``) and
``SPOOL_JAVA`` the java to run it with (default: ``java`` on the PATH); the Maven build passes both.
"""
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

CONFIG = """
types:
  py.echo:
    executor: worker
    timeout_seconds: 60
  py.files:
    executor: worker
  py.slow:
    executor: worker
    max_attempts: 1
  shout:
    executor: worker
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _secret(length: int) -> str:
    return "".join(random.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(length))


class SpoolServer:
    """Starts on construction; ``restart()`` stops and starts it again on the same port and data."""

    def __init__(self, extra_config: str = ""):
        self.jar = os.environ.get("SPOOL_JAR") or os.path.join(ROOT, "cli", "target", "spool.jar")
        if not os.path.exists(self.jar):
            raise RuntimeError("no Spool jar at %s: run ./mvnw package first, or set SPOOL_JAR" % self.jar)
        self.java = os.environ.get("SPOOL_JAVA", "java")
        self.dir = tempfile.mkdtemp(prefix="spool-py-")
        self.port = _free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.admin_key = "spool_%s_%s" % (_secret(12), _secret(32))
        self.config = os.path.join(self.dir, "spool.yaml")
        with open(self.config, "w") as f:
            f.write(CONFIG + extra_config)
        self.log = open(os.path.join(self.dir, "server.log"), "ab")
        self.process = None
        self.start()

    def start(self) -> None:
        env = dict(os.environ, SPOOL_ADMIN_KEY=self.admin_key, SPOOL_HTTP_PORT=str(self.port),
                   SPOOL_HTTP_HOST="127.0.0.1", SPOOL_DATA_DIR=os.path.join(self.dir, "data"),
                   SPOOL_WEBHOOKS_ALLOW_HOSTS="127.0.0.1", SPOOL_WEBHOOKS_RETRY_SCHEDULE="1s,1s,1s")
        self.process = subprocess.Popen([self.java, "-Xmx512m", "-jar", self.jar, "serve", "--config", self.config],
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("Spool exited with %s; its log: %s" % (self.process.returncode, self.tail()))
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError("Spool was not ready within 90 s; its log: %s" % self.tail())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def tail(self) -> str:
        self.log.flush()
        with open(os.path.join(self.dir, "server.log"), "rb") as f:
            return f.read()[-4000:].decode("utf-8", "replace")

    def close(self) -> None:
        self.stop()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
