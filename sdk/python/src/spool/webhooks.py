"""Verifying Spool's webhook deliveries (Standard Webhooks: ``webhook-id``, ``webhook-timestamp``,
``webhook-signature``)."""
import base64
import hashlib
import hmac
import json
import time
from typing import Any, Mapping, Optional, Sequence, Union


class InvalidSignature(Exception):
    """The delivery is not from Spool (no valid signature), or it is too old or too new to accept."""


class WebhookVerifier:
    """Checks a delivery's signature against the endpoint's secret (``whsec_...``), or several
    secrets while one is being rotated, and its timestamp against ``tolerance`` seconds.

    >>> verifier = WebhookVerifier(secret)
    >>> event = verifier.verify(request_body_bytes, request_headers)   # the parsed body, or InvalidSignature
    """

    def __init__(self, secret: Union[str, Sequence[str]], tolerance: float = 300.0):
        secrets = [secret] if isinstance(secret, str) else list(secret)
        if not secrets:
            raise ValueError("at least one secret")
        self._keys = [_key(s) for s in secrets]
        self.tolerance = tolerance

    def verify(self, body: Union[bytes, str], headers: Mapping[str, str], now: Optional[float] = None) -> Any:
        """The delivery's JSON body when it is signed by one of the secrets and recent; else raises."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        lower = {k.lower(): v for k, v in headers.items()}
        msg_id = lower.get("webhook-id")
        stamp = lower.get("webhook-timestamp")
        signatures = lower.get("webhook-signature")
        if not msg_id or not stamp or not signatures:
            raise InvalidSignature("missing webhook-id, webhook-timestamp or webhook-signature")
        try:
            sent = int(stamp)
        except ValueError:
            raise InvalidSignature("webhook-timestamp is not a number of seconds") from None
        current = time.time() if now is None else now
        if abs(current - sent) > self.tolerance:
            raise InvalidSignature("the delivery is %d s from now, over the tolerance of %d s"
                                   % (current - sent, self.tolerance))
        signed = msg_id.encode() + b"." + stamp.encode() + b"." + body
        expected = [base64.b64encode(hmac.new(k, signed, hashlib.sha256).digest()) for k in self._keys]
        for candidate in signatures.split(" "):
            version, _, value = candidate.partition(",")
            if version == "v1" and any(hmac.compare_digest(value.encode(), e) for e in expected):
                return json.loads(body)
        raise InvalidSignature("no signature matches the secret")


def verify(secret: Union[str, Sequence[str]], body: Union[bytes, str], headers: Mapping[str, str],
           tolerance: float = 300.0) -> Any:
    """One-off :meth:`WebhookVerifier.verify`."""
    return WebhookVerifier(secret, tolerance).verify(body, headers)


def _key(secret: str) -> bytes:
    text = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise ValueError("a webhook secret is whsec_ followed by base64") from None
