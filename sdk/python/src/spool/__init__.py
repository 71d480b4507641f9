"""Spool's Python SDK: a client for the native API, a worker runtime, and a webhook verifier.

Standard library only. See sdk/python/README.md.
"""
from .client import AUTO, Client, Multipart
from .errors import (ApiError, BadRequest, Conflict, ConnectionFailed, Forbidden, NotFound, PayloadTooLarge,
                     RateLimited, SpoolError, Unauthenticated, Unavailable, Unprocessable)
from .events import Event
from .webhooks import InvalidSignature, WebhookVerifier, verify
from .worker import Cancelled, Failure, JobContext, Worker

__version__ = "0.1.0"
__all__ = ["AUTO", "ApiError", "BadRequest", "Cancelled", "Client", "Conflict", "ConnectionFailed", "Event", "Failure",
           "Forbidden", "InvalidSignature", "JobContext", "Multipart", "NotFound", "PayloadTooLarge", "RateLimited",
           "SpoolError", "Unauthenticated", "Unavailable", "Unprocessable", "WebhookVerifier", "Worker", "verify"]
