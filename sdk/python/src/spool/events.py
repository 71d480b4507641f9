"""Server-sent events, followed across dropped connections (resumed with ``Last-Event-ID``)."""
import json
import time
from typing import Any, Callable, Dict, Iterator, Mapping, Optional

from ._http import Transport, backoff
from .errors import ApiError, ConnectionFailed


class Event:
    """One server-sent event: ``id``, ``event`` (its name: a job event's kind, ``log``, ...), and
    ``data`` (the JSON it carried, parsed)."""

    __slots__ = ("id", "event", "data")

    def __init__(self, id: Optional[str], event: str, data: Any):
        self.id = id
        self.event = event
        self.data = data

    def __repr__(self) -> str:
        return "Event(id=%r, event=%r, data=%r)" % (self.id, self.event, self.data)


def parse(lines: Iterator[bytes]) -> Iterator[Event]:
    """The events of a ``text/event-stream``, by the WHATWG rules (comments and ``retry`` skipped)."""
    event_id: Optional[str] = None
    name = ""
    data: list = []
    for raw in lines:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if data:
                text = "\n".join(data)
                try:
                    payload = json.loads(text)
                except ValueError:
                    payload = text
                yield Event(event_id, name or "message", payload)
            name, data = "", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "id":
            event_id = value
        elif field == "event":
            name = value
        elif field == "data":
            data.append(value)


def follow(http: Transport, path: str, params: Mapping[str, Any], last_event_id: Optional[str],
           until: Optional[Callable[[Event], bool]], deadline: Optional[float] = None,
           reconnect_for: float = 120.0) -> Iterator[Event]:
    """Yields the stream's events; when the connection drops before ``until`` says it is over, it
    connects again after the last event seen. A stream the server ends by itself (a job's, once the
    job has ended) stops the iteration when its last event satisfies ``until``, or when reopening
    it brings nothing new. ``TimeoutError`` once ``deadline`` (a ``time.monotonic()`` value) passes."""
    tries = 0
    quiet_ends = 0
    while True:
        headers: Dict[str, str] = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        timeout = None if deadline is None else max(0.1, deadline - time.monotonic())
        got = False
        try:
            with http.request("GET", path, params=params, headers=headers, stream=True,
                              timeout=min(timeout or 75.0, 75.0), retry_for=reconnect_for) as answer:
                tries = 0
                for event in parse(iter(answer.readline, b"")):
                    got = True
                    if event.id is not None:
                        last_event_id = event.id
                    yield event
                    if until is not None and until(event):
                        return
        except ApiError as e:
            if e.status < 500:
                raise
        except (ConnectionFailed, OSError):
            pass  # dropped, or quiet past the read timeout (the server sends a comment every 15 s)
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError("the event stream %s did not end in time" % path)
        if until is not None and not got:
            quiet_ends += 1
            if quiet_ends >= 3:
                return  # the stream ends at once without news: there is nothing more to follow
        else:
            quiet_ends = 0
        tries += 1
        time.sleep(min(backoff(tries), 2.0) if tries > 1 else 0.05)
