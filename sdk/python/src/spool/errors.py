"""What the client raises: every error of the API is an :class:`ApiError` carrying its problem details."""
from typing import Any, Dict, Mapping, Optional


class SpoolError(Exception):
    """Anything that went wrong talking to Spool."""


class ConnectionFailed(SpoolError):
    """Spool could not be reached (refused, reset, timed out) and the retries are used up."""


class ApiError(SpoolError):
    """Spool answered with an error: an RFC 9457 problem (``status``, ``code``, ``title``, ``detail``).

    ``problem`` holds every field of the problem as sent, ``retry_after`` the seconds of a
    ``Retry-After`` header (429 and 503), ``headers`` the answer's headers.
    """

    def __init__(self, status: int, problem: Dict[str, Any], headers: Mapping[str, str]):
        self.status = status
        self.problem = problem
        self.code: str = str(problem.get("code") or "http_%d" % status)
        self.title: str = str(problem.get("title") or "")
        self.detail: str = str(problem.get("detail") or problem.get("title") or "HTTP %d" % status)
        self.headers = dict(headers)
        self.retry_after: Optional[float] = _seconds(headers.get("retry-after"))
        super().__init__("%d %s: %s" % (status, self.code, self.detail))


class BadRequest(ApiError):
    """400: the request is malformed (a field unknown, missing or of the wrong type; a bad query)."""


class Unauthenticated(ApiError):
    """401: no key, or a wrong or revoked one."""


class Forbidden(ApiError):
    """403: the key's role may not do this."""


class NotFound(ApiError):
    """404: no such object for this tenant (another tenant's answers the same)."""


class Conflict(ApiError):
    """409: the object's state does not allow it (``invalid_state``), or ``stale_attempt`` for a worker."""


class PayloadTooLarge(ApiError):
    """413: over a size limit."""


class Unprocessable(ApiError):
    """422: well-formed but refused: ``unknown_type``, ``invalid_input``, ``idempotency_mismatch``."""


class RateLimited(ApiError):
    """429: over a rate limit (``rate_limited``, see ``retry_after``) or a quota (``quota_exceeded``)."""


class Unavailable(ApiError):
    """503: the database cannot be reached, or the server is starting or stopping; retry after ``retry_after``."""


_BY_STATUS = {400: BadRequest, 401: Unauthenticated, 403: Forbidden, 404: NotFound, 409: Conflict,
              413: PayloadTooLarge, 422: Unprocessable, 429: RateLimited, 503: Unavailable}


def api_error(status: int, problem: Dict[str, Any], headers: Mapping[str, str]) -> ApiError:
    return _BY_STATUS.get(status, ApiError)(status, problem, headers)


def _seconds(value: Optional[str]) -> Optional[float]:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
