"""The client: one method per route of Spool's native API."""
import hashlib
import json
import mimetypes
import os
import time
import urllib.parse
import uuid
from typing import Any, BinaryIO, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union, cast

from . import models
from ._http import Transport
from .errors import ApiError, ConnectionFailed
from .events import Event, follow

AUTO = "auto"
"""The default idempotency key: a fresh UUID per call, kept across that call's retries."""

TERMINAL = ("succeeded", "failed", "cancelled")
FileLike = Union[str, "os.PathLike[str]", bytes, BinaryIO, Tuple[str, Any], Tuple[str, Any, str]]


def _path(*parts: str) -> str:
    return "/".join(urllib.parse.quote(p, safe="") if i else p for i, p in enumerate(parts))


def _key(idempotency_key: Optional[str]) -> Dict[str, str]:
    if idempotency_key is None:
        return {}
    return {"Idempotency-Key": str(uuid.uuid4()) if idempotency_key == AUTO else idempotency_key}


def _fields(**fields: Any) -> Dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


class Client:
    """A client of one Spool server.

    >>> spool = Client("http://127.0.0.1:8080", api_key="spool_...")
    >>> job = spool.submit("text.stats", {"text": "hello"})
    >>> spool.wait(job["id"])["result"]

    ``retry_for``: seconds to keep retrying connection errors, 429 and 503 (with backoff, honouring
    ``Retry-After``); 0 turns retries off. Submits and batches carry an idempotency key by default,
    so a retried submit never makes a second job. ``tenant``: with an admin key, act for that tenant.
    """

    def __init__(self, base_url: Optional[str] = None, api_key: Optional[str] = None, *, timeout: float = 60.0,
                 retry_for: float = 30.0, tenant: Optional[str] = None):
        base_url = base_url or os.environ.get("SPOOL_URL", "http://127.0.0.1:8080")
        api_key = api_key if api_key is not None else os.environ.get("SPOOL_API_KEY")
        self.http = Transport(base_url, api_key, timeout=timeout, retry_for=retry_for,
                              headers={"Spool-Tenant": tenant} if tenant else None)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ jobs

    def submit(self, type: str, input: Mapping[str, Any], *, queue: Optional[str] = None,
               priority: Optional[int] = None, title: Optional[str] = None,
               metadata: Optional[Mapping[str, str]] = None, max_attempts: Optional[int] = None,
               timeout_seconds: Optional[int] = None, run_at: Optional[str] = None,
               webhook: Optional[models.JobWebhook] = None, sources: Optional[Sequence[Mapping[str, Any]]] = None,
               files: Optional[Mapping[str, FileLike]] = None, idempotency_key: Optional[str] = AUTO) -> models.Job:
        """Submits a job; ``files`` (name to a path, bytes or binary file) are streamed as input files."""
        job = _fields(type=type, input=dict(input), queue=queue, priority=priority, title=title,
                      metadata=dict(metadata) if metadata is not None else None, max_attempts=max_attempts,
                      timeout_seconds=timeout_seconds, run_at=run_at, webhook=webhook,
                      sources=list(sources) if sources is not None else None)
        if files:
            parts = [_file_part(name, f) for name, f in files.items()]
            try:
                form = Multipart([("job", None, "application/json", json.dumps(job).encode())]
                                 + [part[:4] for part in parts])
                return cast(models.Job, self.http.call("POST", "/v1/jobs", body=form, headers=dict(
                    _key(idempotency_key), **{"Content-Type": form.content_type})))
            finally:
                for part in parts:
                    if part[4]:
                        part[3].close()
        return cast(models.Job, self.http.call("POST", "/v1/jobs", json_body=job, headers=_key(idempotency_key)))

    def get(self, job_id: str, *, wait: Optional[int] = None) -> models.Job:
        """The job; with ``wait`` (seconds, at most 60), once it changes or ends."""
        headers = {"Prefer": "wait=%d" % wait} if wait else None
        return cast(models.Job, self.http.call("GET", _path("/v1/jobs", job_id), headers=headers,
                                               timeout=(wait or 0) + self.http.timeout))

    def list(self, *, status: Union[None, str, Sequence[str]] = None, type: Optional[str] = None,
             queue: Optional[str] = None, batch_id: Optional[str] = None, created_after: Optional[str] = None,
             created_before: Optional[str] = None, metadata: Optional[Mapping[str, str]] = None,
             limit: Optional[int] = None, cursor: Optional[str] = None) -> models.JobPage:
        """One page of jobs, newest first: ``data``, ``has_more``, ``next_cursor``."""
        params = dict(status=status, type=type, queue=queue, batch_id=batch_id, created_after=created_after,
                      created_before=created_before, metadata=metadata, limit=limit, cursor=cursor)
        return cast(models.JobPage, self.http.call("GET", "/v1/jobs", params=params))

    def iter_jobs(self, **filters: Any) -> Iterator[models.Job]:
        """Every job that matches, page after page (the same filters as :meth:`list`)."""
        cursor = filters.pop("cursor", None)
        while True:
            page = self.list(cursor=cursor, **filters)
            yield from page["data"]
            if not page["has_more"]:
                return
            cursor = page["next_cursor"]

    def cancel(self, job_id: str) -> models.Job:
        return cast(models.Job, self.http.call("POST", _path("/v1/jobs", job_id, "cancel")))

    def retry(self, job_id: str) -> models.Job:
        return cast(models.Job, self.http.call("POST", _path("/v1/jobs", job_id, "retry")))

    def delete(self, job_id: str) -> None:
        self.http.call("DELETE", _path("/v1/jobs", job_id))

    def result(self, job_id: str) -> Any:
        return self.http.call("GET", _path("/v1/jobs", job_id, "result"))

    def history(self, job_id: str) -> List[models.JobEvent]:
        return cast(List[models.JobEvent], self.http.call("GET", _path("/v1/jobs", job_id, "events"))["data"])

    def events(self, job_id: Optional[str] = None, *, last_event_id: Optional[str] = None,
               **filters: Any) -> Iterator[Event]:
        """The events of one job (its history, then live until it ends), or with no ``job_id`` the
        tenant's live stream (filters: type, queue, batch_id, job_id, kind). A dropped connection
        is resumed where it stopped (``Last-Event-ID``); each :class:`Event` has ``id``, ``event``
        and ``data``."""
        if job_id is not None:
            return follow(self.http, _path("/v1/jobs", job_id, "events"), {}, last_event_id,
                          until=lambda e: e.event in TERMINAL)
        return follow(self.http, "/v1/events", filters, last_event_id, until=None)

    def wait(self, job_id: str, timeout: Optional[float] = None) -> models.Job:
        """Follows the job's events until it ends, then returns it; ``TimeoutError`` after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        job = self.get(job_id)
        if job["status"] in TERMINAL:
            return job
        stream = follow(self.http, _path("/v1/jobs", job_id, "events"), {}, None,
                        until=lambda e: e.event in TERMINAL, deadline=deadline)
        for _ in stream:
            pass
        job = self.get(job_id)
        if job["status"] not in TERMINAL:
            raise TimeoutError("job %s is still %s after %s s" % (job_id, job["status"], timeout))
        return job

    def deliveries(self, job_id: str) -> models.DeliveryPage:
        return cast(models.DeliveryPage, self.http.call("GET", _path("/v1/jobs", job_id, "deliveries")))

    # ------------------------------------------------------------------ logs and files

    def logs(self, job_id: str) -> List[Dict[str, Any]]:
        """The lines workers appended: each ``seq``, ``at``, ``attempt``, ``line``."""
        return cast(List[Dict[str, Any]], self.http.call("GET", _path("/v1/jobs", job_id, "logs"))["data"])

    def follow_logs(self, job_id: str) -> Iterator[Dict[str, Any]]:
        """The job's log lines, then each new one, until the job has ended."""
        for event in follow(self.http, _path("/v1/jobs", job_id, "logs"), {}, None, until=lambda e: e.event == "end"):
            if event.event == "log":
                yield cast(Dict[str, Any], event.data)

    def artifacts(self, job_id: str) -> List[models.ArtifactInfo]:
        return cast(List[models.ArtifactInfo], self.http.call("GET", _path("/v1/jobs", job_id, "artifacts"))["data"])

    def open_artifact(self, job_id: str, name: str, *, range: Optional[str] = None) -> Any:
        """The file as a streamed answer (``iter_bytes()``; close it, or use it in ``with``)."""
        headers = {"Accept": "*/*"}
        if range:
            headers["Range"] = range
        return self.http.request("GET", _path("/v1/jobs", job_id, "artifacts", name), headers=headers, stream=True)

    def download(self, job_id: str, name: str, to: Union[str, "os.PathLike[str]", BinaryIO]) -> str:
        """Streams a file of the job to a path or a binary file; returns its SHA-256 (hex), checked
        against the one Spool sent when it did."""
        digest = hashlib.sha256()
        with self.open_artifact(job_id, name) as answer:
            _save(answer, to, digest.update)
            etag = answer.headers.get("etag", "").strip('"')
        if len(etag) == 64 and etag != digest.hexdigest():
            raise ConnectionFailed("the download of %s was cut short or damaged (SHA-256 differs)" % name)
        return digest.hexdigest()

    def download_zip(self, job_id: str, to: Union[str, "os.PathLike[str]", BinaryIO]) -> int:
        """Streams every file of the job as one zip (``GET /v1/jobs/{id}/artifacts.zip``); returns its size."""
        size = [0]
        with self.http.request("GET", _path("/v1/jobs", job_id, "artifacts.zip"), headers={"Accept": "*/*"},
                               stream=True) as answer:
            _save(answer, to, lambda chunk: size.__setitem__(0, size[0] + len(chunk)))
        return size[0]

    # ------------------------------------------------------------------ batches and bulk actions

    def submit_batch(self, jobs: Sequence[Mapping[str, Any]], *, idempotency_key: Optional[str] = AUTO) -> models.Batch:
        """Up to 1,000 submits (each as for :meth:`submit`: type, input, ...): all are stored, or none."""
        return cast(models.Batch, self.http.call("POST", "/v1/batches", json_body={"jobs": [dict(j) for j in jobs]},
                                                 headers=_key(idempotency_key)))

    def batch(self, batch_id: str) -> models.Batch:
        return cast(models.Batch, self.http.call("GET", _path("/v1/batches", batch_id)))

    def cancel_batch(self, batch_id: str) -> models.BulkResult:
        return cast(models.BulkResult, self.http.call("POST", _path("/v1/batches", batch_id, "cancel")))

    def bulk(self, action: str, *, dry_run: bool = False, idempotency_key: Optional[str] = AUTO,
             **filters: Any) -> models.BulkResult:
        """``action`` (cancel, retry, delete) on every job matching the filters (status, type, queue,
        batch_id, metadata, created_after, created_before, or all=True)."""
        if action not in ("cancel", "retry", "delete"):
            raise ValueError("action is cancel, retry or delete, not %r" % action)
        if isinstance(filters.get("status"), str):
            filters["status"] = [filters["status"]]
        body = dict(_fields(**filters), dry_run=dry_run)
        return cast(models.BulkResult, self.http.call("POST", "/v1/jobs/" + action, json_body=body,
                                                      headers=_key(idempotency_key)))

    # ------------------------------------------------------------------ webhooks

    def create_webhook(self, url: str, *, events: Optional[Sequence[str]] = None,
                       description: Optional[str] = None) -> models.WebhookEndpoint:
        """An endpoint for every job of the tenant; the answer's ``secret`` is shown only here."""
        body = _fields(url=url, events=list(events) if events is not None else None, description=description)
        return cast(models.WebhookEndpoint, self.http.call("POST", "/v1/webhooks", json_body=body))

    def webhooks(self) -> List[models.WebhookEndpoint]:
        return cast(List[models.WebhookEndpoint], self.http.call("GET", "/v1/webhooks")["data"])

    def webhook(self, webhook_id: str) -> models.WebhookEndpoint:
        return cast(models.WebhookEndpoint, self.http.call("GET", _path("/v1/webhooks", webhook_id)))

    def update_webhook(self, webhook_id: str, **changes: Any) -> models.WebhookEndpoint:
        """Changes url, events, description or enabled."""
        return cast(models.WebhookEndpoint, self.http.call("PATCH", _path("/v1/webhooks", webhook_id),
                                                           json_body=_fields(**changes)))

    def delete_webhook(self, webhook_id: str) -> None:
        self.http.call("DELETE", _path("/v1/webhooks", webhook_id))

    def webhook_secret(self, webhook_id: str = "default") -> models.Secret:
        """The signing secret of an endpoint, or ``default``: the one job webhooks are signed with."""
        return cast(models.Secret, self.http.call("GET", _path("/v1/webhooks", webhook_id, "secret")))

    def rotate_webhook_secret(self, webhook_id: str = "default", *,
                              keep_previous_seconds: Optional[int] = None) -> models.Secret:
        return cast(models.Secret, self.http.call("POST", _path("/v1/webhooks", webhook_id, "rotate-secret"),
                                                  json_body=_fields(keep_previous_seconds=keep_previous_seconds)))

    def webhook_deliveries(self, webhook_id: str, *, cursor: Optional[str] = None,
                           limit: Optional[int] = None) -> models.DeliveryPage:
        return cast(models.DeliveryPage, self.http.call("GET", _path("/v1/webhooks", webhook_id, "deliveries"),
                                                        params=dict(cursor=cursor, limit=limit)))

    def delivery(self, delivery_id: str) -> models.Delivery:
        return cast(models.Delivery, self.http.call("GET", _path("/v1/deliveries", delivery_id)))

    def replay_delivery(self, delivery_id: str) -> models.Delivery:
        return cast(models.Delivery, self.http.call("POST", _path("/v1/deliveries", delivery_id, "replay")))

    # ------------------------------------------------------------------ keys (admin)

    def create_key(self, name: str, *, tenant: Optional[str] = None, role: Optional[str] = None) -> models.ApiKey:
        """A new key; the answer's ``key`` is the secret, shown only here."""
        return cast(models.ApiKey, self.http.call("POST", "/v1/keys", json_body=_fields(name=name, tenant=tenant, role=role)))

    def keys(self) -> List[models.ApiKey]:
        return cast(List[models.ApiKey], self.http.call("GET", "/v1/keys")["data"])

    def revoke_key(self, key_id: str) -> None:
        self.http.call("DELETE", _path("/v1/keys", key_id))

    # ------------------------------------------------------------------ usage and limits

    def usage(self, *, from_: Optional[str] = None, to: Optional[str] = None,
              group_by: Union[None, str, Sequence[str]] = None, tenant_id: Optional[str] = None) -> models.Usage:
        """Jobs by outcome, run time, units and cost by currency (``from_``/``to``: RFC 3339 times)."""
        params = {"from": from_, "to": to, "group_by": group_by, "tenant_id": tenant_id}
        return cast(models.Usage, self.http.call("GET", "/v1/usage", params=params))

    def usage_csv(self, **query: Any) -> str:
        params = {"from": query.get("from_"), "to": query.get("to"), "group_by": query.get("group_by"),
                  "tenant_id": query.get("tenant_id")}
        return self.http.request("GET", "/v1/usage", params=params, headers={"Accept": "text/csv"}).body.decode()

    def limits(self, tenant_id: Optional[str] = None) -> Dict[str, Any]:
        return cast(Dict[str, Any], self.http.call("GET", "/v1/limits", params={"tenant_id": tenant_id}))

    def tenant_limits(self, tenant_id: str) -> models.TenantLimits:
        return cast(models.TenantLimits, self.http.call("GET", _path("/v1/tenants", tenant_id, "limits")))

    def set_tenant_limits(self, tenant_id: str, **limits: Any) -> models.TenantLimits:
        return cast(models.TenantLimits, self.http.call("PUT", _path("/v1/tenants", tenant_id, "limits"),
                                                        json_body=limits))

    def delete_tenant_limits(self, tenant_id: str) -> None:
        self.http.call("DELETE", _path("/v1/tenants", tenant_id, "limits"))

    # ------------------------------------------------------------------ operating

    def queues(self) -> List[models.Queue]:
        return cast(List[models.Queue], self.http.call("GET", "/v1/queues")["data"])

    def pause_queue(self, name: str) -> models.Queue:
        return cast(models.Queue, self.http.call("POST", _path("/v1/queues", name, "pause")))

    def resume_queue(self, name: str) -> models.Queue:
        return cast(models.Queue, self.http.call("POST", _path("/v1/queues", name, "resume")))

    def create_schedule(self, cron: str, job: Mapping[str, Any], **options: Any) -> models.Schedule:
        """A cron schedule (options: name, timezone, overlap, missed, paused) submitting ``job`` each tick."""
        return cast(models.Schedule, self.http.call("POST", "/v1/schedules",
                                                    json_body=dict(_fields(**options), cron=cron, job=dict(job))))

    def schedules(self) -> List[models.Schedule]:
        return cast(List[models.Schedule], self.http.call("GET", "/v1/schedules")["data"])

    def schedule(self, schedule_id: str) -> models.Schedule:
        return cast(models.Schedule, self.http.call("GET", _path("/v1/schedules", schedule_id)))

    def update_schedule(self, schedule_id: str, **changes: Any) -> models.Schedule:
        return cast(models.Schedule, self.http.call("PATCH", _path("/v1/schedules", schedule_id),
                                                    json_body=_fields(**changes)))

    def pause_schedule(self, schedule_id: str) -> models.Schedule:
        return cast(models.Schedule, self.http.call("POST", _path("/v1/schedules", schedule_id, "pause")))

    def resume_schedule(self, schedule_id: str) -> models.Schedule:
        return cast(models.Schedule, self.http.call("POST", _path("/v1/schedules", schedule_id, "resume")))

    def delete_schedule(self, schedule_id: str) -> None:
        self.http.call("DELETE", _path("/v1/schedules", schedule_id))

    def types(self) -> List[models.JobType]:
        return cast(List[models.JobType], self.http.call("GET", "/v1/types")["data"])

    def workers(self) -> List[Dict[str, Any]]:
        return cast(List[Dict[str, Any]], self.http.call("GET", "/v1/workers")["data"])

    def stats(self) -> models.Stats:
        return cast(models.Stats, self.http.call("GET", "/v1/stats"))

    def problems(self) -> Dict[str, Any]:
        return cast(Dict[str, Any], self.http.call("GET", "/v1/admin/problems"))

    def ready(self) -> bool:
        """Whether the server answers /readyz with 200 (no retries)."""
        try:
            self.http.request("GET", "/readyz", retry_for=0, auth=False)
            return True
        except (ApiError, ConnectionFailed):
            return False

    def openapi(self) -> Dict[str, Any]:
        return cast(Dict[str, Any], self.http.call("GET", "/openapi.json", auth=False))


class Multipart:
    """A ``multipart/form-data`` body streamed part by part, with its length known up front."""

    def __init__(self, parts: Sequence[Tuple[str, Optional[str], str, Any]]):
        self.boundary = "spool-" + uuid.uuid4().hex
        self.content_type = "multipart/form-data; boundary=" + self.boundary
        self._parts = []
        total = 0
        for field, filename, content_type, source in parts:
            disposition = 'form-data; name="%s"' % _quote(field)
            if filename is not None:
                disposition += '; filename="%s"' % _quote(filename)
            head = ("--%s\r\nContent-Disposition: %s\r\nContent-Type: %s\r\n\r\n"
                    % (self.boundary, disposition, content_type)).encode()
            size, start = _size(source)
            self._parts.append((head, source, start))
            total += len(head) + size + 2
        self._tail = ("--%s--\r\n" % self.boundary).encode()
        self.length = total + len(self._tail)

    def __iter__(self) -> Iterator[bytes]:
        for head, source, _ in self._parts:
            yield head
            if isinstance(source, bytes):
                yield source
            else:
                while True:
                    piece = source.read(1 << 20)
                    if not piece:
                        break
                    yield piece
            yield b"\r\n"
        yield self._tail

    def rewind(self) -> None:
        for _, source, start in self._parts:
            if not isinstance(source, bytes):
                source.seek(start)


def _save(answer: Any, to: Union[str, "os.PathLike[str]", BinaryIO], each: Any) -> None:
    """Streams a streamed answer's bytes to a path or a binary file, handing each chunk to ``each`` too."""
    out = open(to, "wb") if isinstance(to, (str, os.PathLike)) else to
    try:
        for chunk in answer.iter_bytes():
            each(chunk)
            out.write(chunk)
    finally:
        if out is not to:
            out.close()


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")


def _size(source: Any) -> Tuple[int, int]:
    if isinstance(source, bytes):
        return len(source), 0
    start = source.tell()
    source.seek(0, os.SEEK_END)
    end = source.tell()
    source.seek(start)
    return end - start, start


def _file_part(name: str, f: FileLike) -> Tuple[str, Optional[str], str, Any, bool]:
    """(field, file name, content type, bytes or binary file, whether it was opened here)."""
    filename, content_type = name, None
    if isinstance(f, tuple):
        given = f
        filename, f = given[0], given[1]
        content_type = given[2] if len(given) == 3 else None  # type: ignore[misc]
    content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if isinstance(f, (str, os.PathLike)):
        return (name, filename, content_type, open(f, "rb"), True)
    return (name, filename, content_type, f, False)
