"""The worker runtime: claims jobs, runs them on threads, heartbeats, reports, shuts down gracefully."""
import logging
import os
import signal
import socket
import threading
import time
from typing import Any, BinaryIO, Callable, Dict, List, Optional, Union

from . import models
from ._http import Transport, backoff
from .client import Client, _path
from .errors import ApiError, ConnectionFailed, Conflict, NotFound

log = logging.getLogger("spool.worker")
Handler = Callable[["JobContext"], Any]


class Failure(Exception):
    """Raise it from a handler to fail the attempt with a code of your own; ``retryable=False`` ends the job."""

    def __init__(self, code: str, message: str, retryable: bool = True):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable


class Cancelled(Exception):
    """Raised by :meth:`JobContext.check` when the client asked to cancel the job (or it was lost)."""


class JobContext:
    """A claimed job, as its handler sees it: ``input``, ``id``, ``attempt``, ``metadata``, ``inputs``
    (the uploaded files, with signed ``url``s), and the calls to report progress and logs, upload
    files, and notice a cancel."""

    def __init__(self, worker: "Worker", job: models.ClaimedJob):
        self.job = job
        self.id: str = job["id"]
        self.type: str = job["type"]
        self.attempt: int = job["attempt"]
        self.input: Dict[str, Any] = job["input"]
        self.metadata: Dict[str, str] = job.get("metadata") or {}
        self.inputs: List[Dict[str, Any]] = list(job.get("inputs") or [])
        self._worker = worker
        self._interval = max(0.2, job["heartbeat_interval_ms"] / 1000.0 / 2)
        self._last_beat = time.monotonic()
        self._next_beat = self._last_beat + self._interval
        self._progress: Optional[Dict[str, Any]] = None
        self._sent: Optional[Dict[str, Any]] = None  # the progress the last heartbeat carried
        self.cancel_requested = threading.Event()
        self.lost = threading.Event()

    @property
    def cancelled(self) -> bool:
        """True once the client asked to cancel, or the attempt is no longer ours: stop working."""
        return self.cancel_requested.is_set() or self.lost.is_set()

    def check(self) -> None:
        """Raises :class:`Cancelled` when the work should stop."""
        if self.cancelled:
            raise Cancelled("job %s: %s" % (self.id, "cancel requested" if self.cancel_requested.is_set() else "lost"))

    def progress(self, fraction: Optional[float] = None, message: Optional[str] = None) -> None:
        """Progress (0 to 1, and/or a message), sent within about a second, with a heartbeat."""
        self._progress = {"fraction": fraction, "message": message}

    def log(self, *lines: str) -> None:
        """Appends lines to the job's log (read with ``GET /v1/jobs/{id}/logs``)."""
        self._worker._post(_path("/v1/worker/jobs", self.id, "logs"), {"attempt": self.attempt, "lines": list(lines)})

    def upload(self, name: str, data: Union[bytes, BinaryIO, str], content_type: str = "application/octet-stream") -> Dict[str, Any]:
        """Streams an output file (bytes, a binary file, or a path) to the job's artifacts."""
        opened = open(data, "rb") if isinstance(data, str) else None
        try:
            return self._worker.http.call(
                "PUT", _path("/v1/worker/jobs", self.id, "artifacts", name), params={"attempt": self.attempt},
                body=opened or data, headers={"Content-Type": content_type}, retry_for=self._worker.report_for)
        finally:
            if opened:
                opened.close()


class Worker:
    """Runs handlers for job types.

    >>> worker = Worker(Client(url, worker_key), concurrency=8)
    >>> @worker.handler("shout")
    ... def shout(job):
    ...     return {"text": job.input["text"].upper()}
    >>> worker.run()   # until SIGTERM or SIGINT, or worker.stop()

    A handler returns the result (any JSON), raises :class:`Failure` (or any exception: a retryable
    failure), and may call ``job.progress``, ``job.log``, ``job.upload`` and ``job.check``. On stop
    it claims nothing more, lets running jobs finish for ``grace`` seconds and releases the rest
    (queued again at once, the attempt not counted). Calls that fail because Spool is unreachable
    or restarting are retried; a finished job's report is retried for ``report_for`` seconds, so
    that a server restart does not make it run again.
    """

    def __init__(self, client: Optional[Client] = None, *, concurrency: int = 4, worker_id: Optional[str] = None,
                 name: Optional[str] = None, wait_seconds: int = 5, grace: float = 30.0, report_for: float = 120.0):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.client = client or Client()
        self.http: Transport = self.client.http
        self.concurrency = concurrency
        self.worker_id = worker_id or "%s:%d" % (socket.gethostname(), os.getpid())
        self.name = name or "python"
        self.wait_seconds = wait_seconds
        self.grace = grace
        self.report_for = report_for
        self._handlers: Dict[str, Handler] = {}
        self._running: Dict[str, JobContext] = {}
        self._lock = threading.Lock()
        self._free = threading.Semaphore(concurrency)
        self._stop = threading.Event()
        self._done = threading.Event()

    def handler(self, job_type: str) -> Callable[[Handler], Handler]:
        """Decorator: the function that runs jobs of ``job_type``."""
        def register(fn: Handler) -> Handler:
            self._handlers[job_type] = fn
            return fn
        return register

    def stop(self) -> None:
        """Asks :meth:`run` to stop (what SIGTERM and SIGINT do)."""
        self._stop.set()

    def run(self, *, install_signal_handlers: bool = True) -> None:
        """Claims and runs jobs until :meth:`stop` (or SIGTERM / SIGINT), then shuts down gracefully."""
        if not self._handlers:
            raise ValueError("no handlers: register one with @worker.handler(type)")
        previous = {}
        if install_signal_handlers and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, lambda *_: self.stop())
        beats = threading.Thread(target=self._heartbeats, name="spool-heartbeats", daemon=True)
        beats.start()
        try:
            self._claims()
            self._shutdown()
        finally:
            self._done.set()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    # ------------------------------------------------------------------ claiming

    def _claims(self) -> None:
        tries = 0
        while not self._stop.is_set():
            if not self._free.acquire(timeout=0.2):
                continue  # every slot busy: look at the stop flag again
            free = 1
            while self._free.acquire(blocking=False):
                free += 1
            try:
                answer = self.http.call("POST", "/v1/worker/claim", json_body={
                    "worker_id": self.worker_id, "name": self.name, "types": sorted(self._handlers),
                    "max": free, "wait_seconds": self.wait_seconds},
                    timeout=self.wait_seconds + 30, retry_for=0)
                tries = 0
            except (ConnectionFailed, ApiError) as e:
                for _ in range(free):
                    self._free.release()
                tries += 1
                pause = backoff(tries, base=0.5, cap=5.0)
                if isinstance(e, ApiError) and e.retry_after is not None:
                    pause = e.retry_after
                log.warning("claim failed (%s); again in %.1f s", e, pause)
                self._stop.wait(pause)
                continue
            jobs = answer["jobs"]
            for _ in range(free - len(jobs)):
                self._free.release()
            for job in jobs:
                context = JobContext(self, job)
                if self._stop.is_set():
                    self._release(context)
                    self._free.release()
                    continue
                with self._lock:
                    self._running[context.id] = context
                # Daemon threads: a handler still running past the grace period (its attempt
                # released) does not keep the process from exiting.
                threading.Thread(target=self._run, args=(context,), name="spool-job-" + context.id[:8],
                                 daemon=True).start()

    def _run(self, job: JobContext) -> None:
        try:
            handler = self._handlers[job.type]
            try:
                result = handler(job)
            except Failure as f:
                self._report(job, {"outcome": "failed", "error": {"code": f.code, "message": f.message},
                                   "retryable": f.retryable})
                return
            except Cancelled:
                self._report(job, {"outcome": "failed", "error": {"code": "cancelled", "message": "stopped on request"},
                                   "retryable": False})
                return
            except Exception as e:  # the handler's own failure: retried while attempts remain
                log.exception("job %s failed", job.id)
                self._report(job, {"outcome": "failed", "error": {"code": type(e).__name__, "message": str(e)[:1000]},
                                   "retryable": True})
                return
            if job.cancel_requested.is_set():
                self._report(job, {"outcome": "failed", "error": {"code": "cancelled", "message": "stopped on request"},
                                   "retryable": False})
            else:
                self._report(job, {"outcome": "succeeded", "result": result})
        finally:
            with self._lock:
                self._running.pop(job.id, None)
            self._free.release()

    # ------------------------------------------------------------------ heartbeats and reports

    def _heartbeats(self) -> None:
        """Every due heartbeat of the jobs in hand, in one call per tick."""
        while not self._done.wait(0.2):
            now = time.monotonic()
            with self._lock:
                # Due: the lease wants renewing, or there is new progress and a second has passed.
                due = [j for j in self._running.values() if not j.lost.is_set() and (
                    j._next_beat <= now or (j._progress is not j._sent and j._last_beat + 1.0 <= now))]
            if not due:
                continue
            beats = []
            for job in due:
                beat: Dict[str, Any] = {"id": job.id, "attempt": job.attempt}
                if job._progress is not None:
                    beat["progress"] = job._progress
                beats.append(beat)
            try:
                answer = self.http.call("POST", "/v1/worker/heartbeats", json_body={"heartbeats": beats}, retry_for=0)
            except (ConnectionFailed, ApiError) as e:
                log.warning("heartbeat failed (%s); trying again", e)
                continue
            for job, beat, result in zip(due, beats, answer["results"]):
                job._last_beat = time.monotonic()
                job._next_beat = job._last_beat + job._interval
                job._sent = beat.get("progress", job._sent)
                if "error" in result:
                    job.lost.set()  # rescued, cancelled and retried, or deleted: no longer ours
                elif result.get("cancel_requested"):
                    job.cancel_requested.set()

    def _report(self, job: JobContext, report: Dict[str, Any]) -> None:
        """Reports how the attempt ended, again and again while Spool is unreachable (a restart, say)."""
        if job.lost.is_set():
            return
        report = dict(report, id=job.id, attempt=job.attempt)
        result = self._post("/v1/worker/reports", {"reports": [report]}, retry_for=self.report_for)
        if result is not None and "error" in result["results"][0]:
            log.info("job %s: the report was refused: %s", job.id, result["results"][0]["error"].get("detail"))

    def _release(self, job: JobContext) -> None:
        self._post("/v1/worker/reports", {"reports": [{"id": job.id, "attempt": job.attempt, "outcome": "released"}]},
                   retry_for=10)

    def _post(self, path: str, body: Dict[str, Any], retry_for: Optional[float] = None) -> Optional[Any]:
        """A worker call, retried by the transport while Spool cannot be reached (``report_for`` seconds by default)."""
        try:
            return self.http.call("POST", path, json_body=body, retry_for=self.report_for if retry_for is None else retry_for)
        except (Conflict, NotFound) as e:
            log.info("%s: %s", path, e)  # the attempt is no longer current: nothing to do
            return None

    def _shutdown(self) -> None:
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline:
            with self._lock:
                if not self._running:
                    return
            time.sleep(0.05)
        with self._lock:
            left = list(self._running.values())
        for job in left:
            job.lost.set()  # its handler's report, if it ever comes, is not sent
            self._release(job)
