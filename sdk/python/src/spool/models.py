"""Types of Spool's API, generated from its OpenAPI document by tools/generate_models.py: do not edit.

Answers may gain fields in later versions of Spool; these types list the fields of this one.
"""
# flake8: noqa
from typing import Any, Dict, List, Literal, Optional, TypedDict, Union


Time = str


NullableTime = Optional["Time"]


Status = Literal['queued', 'running', 'succeeded', 'failed', 'cancelled']


Metadata = Dict[str, str]


class _SubmitRequestSourcesItemOptional(TypedDict, total=False):
    url: str
    text: str
    name: str


class SubmitRequestSourcesItem(_SubmitRequestSourcesItemOptional):
    kind: Literal['url', 'text']


class _SubmitRequestOptional(TypedDict, total=False):
    queue: str
    priority: int
    title: str
    metadata: "Metadata"
    max_attempts: int
    timeout_seconds: int
    run_at: str
    sources: List["SubmitRequestSourcesItem"]
    webhook: "JobWebhook"


class SubmitRequest(_SubmitRequestOptional):
    type: str
    input: Dict[str, Any]


class ArtifactInfo(TypedDict):
    name: str
    kind: Literal['input', 'output']
    content_type: str
    size: int
    sha256: str
    url: str
    expires_at: "Time"
    created_at: "Time"


class ClaimedJobInputsItem(TypedDict):
    name: str
    content_type: str
    size: int
    sha256: str
    url: str


class _ClaimedJobOptional(TypedDict, total=False):
    traceparent: str


class ClaimedJob(_ClaimedJobOptional):
    id: str
    type: str
    queue: str
    tenant: str
    attempt: int
    input: Dict[str, Any]
    metadata: "Metadata"
    timeout_seconds: int
    lease_expires_at: "Time"
    heartbeat_interval_ms: int
    inputs: List["ClaimedJobInputsItem"]


class JobProgress(TypedDict):
    fraction: Optional[float]
    message: Optional[str]


class JobError(TypedDict):
    code: str
    message: str
    retryable: bool


class JobUsageCost(TypedDict):
    amount: float
    currency: str


class JobUsage(TypedDict):
    run_ms: int
    units: int
    cost: "JobUsageCost"


class JobOwner(TypedDict):
    key_id: Optional[str]


class JobUrls(TypedDict):
    self: str
    cancel: str
    events: str


class JobWebhook(TypedDict):
    url: str
    events: List["WebhookEventName"]


class Job(TypedDict):
    id: str
    type: str
    queue: str
    priority: int
    title: Optional[str]
    status: "Status"
    cancel_requested: bool
    progress: Optional["JobProgress"]
    input: Dict[str, Any]
    metadata: "Metadata"
    idempotency_key: Optional[str]
    batch_id: Optional[str]
    attempt: int
    max_attempts: int
    run_at: "Time"
    timeout_seconds: int
    result: Any
    error: Optional["JobError"]
    usage: "JobUsage"
    owner: "JobOwner"
    created_at: "Time"
    started_at: "NullableTime"
    ended_at: "NullableTime"
    updated_at: "Time"
    urls: "JobUrls"
    webhook: Optional["JobWebhook"]


class JobPage(TypedDict):
    data: List["Job"]
    has_more: bool
    next_cursor: Optional[str]


class JobEvent(TypedDict):
    seq: int
    job_id: str
    at: "Time"
    kind: Literal['submitted', 'started', 'progress', 'succeeded', 'failed', 'cancelled', 'cancel_requested', 'retry_scheduled', 'retried', 'snoozed', 'given_back']
    status: "Status"
    attempt: int
    data: Optional[Dict[str, Any]]


WebhookEventName = Literal['started', 'progress', 'succeeded', 'failed', 'cancelled']


class _WebhookEndpointOptional(TypedDict, total=False):
    secret: str


class WebhookEndpoint(_WebhookEndpointOptional):
    id: str
    url: str
    events: List["WebhookEventName"]
    description: Optional[str]
    enabled: bool
    disabled_reason: Optional[str]
    created_at: "Time"
    updated_at: "Time"


class DeliveryTriesItem(TypedDict):
    attempt: int
    at: "Time"
    status: Optional[int]
    response: Optional[str]
    error: Optional[str]
    duration_ms: int


class _DeliveryOptional(TypedDict, total=False):
    payload: Dict[str, Any]
    tries: List["DeliveryTriesItem"]


class Delivery(_DeliveryOptional):
    id: str
    endpoint_id: Optional[str]
    job_id: str
    event_seq: int
    type: str
    url: str
    state: Literal['pending', 'delivered', 'failed']
    attempts: int
    next_attempt_at: "NullableTime"
    last_status: Optional[int]
    last_error: Optional[str]
    created_at: "Time"
    delivered_at: "NullableTime"


class StatsMinutesItem(TypedDict):
    at: "Time"
    succeeded: int
    failed: int
    cancelled: int


class StatsWebhooks(TypedDict):
    """Webhook deliveries that ended in the window."""
    delivered: int
    failed: int


class Stats(TypedDict):
    window_minutes: int
    ended: int
    minutes: List["StatsMinutesItem"]
    wait_ms: "Percentiles"
    run_ms: "Percentiles"
    webhooks: "StatsWebhooks"


class Percentiles(TypedDict):
    p50: Optional[int]
    p95: Optional[int]
    p99: Optional[int]


class _ConsoleSessionOptional(TypedDict, total=False):
    key_id: str
    tenant: str
    role: Literal['tenant', 'admin']
    acting_for: str


class ConsoleSession(_ConsoleSessionOptional):
    signed_in: bool


class BulkFilter(TypedDict, total=False):
    """The list's filters; at least one, or `all`."""
    status: List["Status"]
    type: str
    queue: str
    batch_id: str
    metadata: Dict[str, str]
    created_after: "Time"
    created_before: "Time"
    all: bool
    dry_run: bool


class BulkResult(TypedDict):
    action: Literal['cancel', 'retry', 'delete']
    dry_run: bool
    matched: int
    changed: int


class Queue(TypedDict):
    name: str
    queued: int
    running: int
    oldest_queued_age_seconds: Optional[float]
    paused: bool
    paused_at: "NullableTime"


class _ScheduleRequestOptional(TypedDict, total=False):
    name: str
    timezone: str
    overlap: Literal['allow', 'skip']
    missed: Literal['run_once', 'skip']
    paused: bool


class ScheduleRequest(_ScheduleRequestOptional):
    cron: str
    job: "SubmitRequest"


class ScheduleChange(TypedDict, total=False):
    name: str
    cron: str
    timezone: str
    job: "SubmitRequest"
    overlap: Literal['allow', 'skip']
    missed: Literal['run_once', 'skip']
    paused: bool


class Schedule(TypedDict):
    id: str
    name: Optional[str]
    cron: str
    timezone: str
    job: Dict[str, Any]
    overlap: Literal['allow', 'skip']
    missed: Literal['run_once', 'skip']
    paused: bool
    next_run_at: "NullableTime"
    next_runs: List["Time"]
    last_run_at: "NullableTime"
    last_job_id: Optional[str]
    created_at: "Time"
    updated_at: "Time"


class BatchCounts(TypedDict):
    queued: int
    running: int
    succeeded: int
    failed: int
    cancelled: int


class BatchJobsItem(TypedDict):
    id: str
    status: "Status"


class Batch(TypedDict):
    id: str
    created_at: "Time"
    total: int
    counts: "BatchCounts"
    done: bool
    jobs: List["BatchJobsItem"]


class JobTypePrice(TypedDict):
    per_job: float
    per_second: float
    per_unit: float
    currency: str


class JobType(TypedDict):
    name: str
    description: Optional[str]
    executor: Literal['builtin', 'worker', 'command', 'http']
    queue: str
    max_attempts: int
    timeout_seconds: int
    concurrency: int
    price: "JobTypePrice"
    input_schema: Optional[Dict[str, Any]]


class _ApiKeyOptional(TypedDict, total=False):
    key: str


class ApiKey(_ApiKeyOptional):
    id: str
    prefix: str
    tenant: str
    name: str
    role: Literal['admin', 'tenant', 'worker']
    created_at: "Time"
    revoked_at: "NullableTime"


class RefusedItem(TypedDict):
    """One item of a batch call that was refused; the others were applied."""
    id: str
    error: "Problem"


class Limits(TypedDict, total=False):
    """Rate limits and quotas; 0 is no limit. As what is set for a tenant, a field left out keeps the configuration's."""
    requests_per_second: int
    burst: int
    submits_per_minute: int
    key_requests_per_second: int
    key_burst: int
    key_submits_per_minute: int
    max_queued: int
    max_running: int
    max_file_bytes: int


class TenantLimits(TypedDict):
    tenant_id: str
    limits: "Limits"
    set: "Limits"


Usage = TypedDict('Usage', {'tenant_id': 'str', 'from': 'str', 'to': 'str', 'group_by': "List[Literal['tenant', 'day', 'type', 'queue', 'key']]", 'data': 'List["UsageRow"]'}, total=False)


class UsageRowJobs(TypedDict):
    succeeded: int
    failed: int
    cancelled: int
    total: int


class UsageRowCost(TypedDict):
    amount: float
    amount_micros: int
    currency: str


class _UsageRowOptional(TypedDict, total=False):
    tenant_id: str
    day: str
    type: str
    queue: str
    key_id: Optional[str]


class UsageRow(_UsageRowOptional):
    """One group's sums; the grouping fields are present when grouped by them."""
    jobs: "UsageRowJobs"
    run_ms: int
    units: int
    cost: "UsageRowCost"


class Problem(TypedDict):
    type: str
    title: str
    status: int
    detail: str
    code: Literal['invalid_json', 'invalid_request', 'invalid_input', 'unknown_type', 'invalid_cursor', 'unauthenticated', 'forbidden', 'not_found', 'invalid_state', 'stale_attempt', 'idempotency_mismatch', 'payload_too_large', 'range_not_satisfiable', 'unsupported_media_type', 'rate_limited', 'quota_exceeded', 'unavailable', 'internal']


class SubmitJobForm(TypedDict):
    job: "SubmitRequest"


class GetJobEventsResponse(TypedDict):
    data: List["JobEvent"]


class _CreateWebhookRequestOptional(TypedDict, total=False):
    events: List["WebhookEventName"]
    description: str


class CreateWebhookRequest(_CreateWebhookRequestOptional):
    url: str


class ListWebhooksResponse(TypedDict):
    data: List["WebhookEndpoint"]


class UpdateWebhookRequest(TypedDict, total=False):
    url: str
    events: List["WebhookEventName"]
    description: str
    enabled: bool


class RotateWebhookSecretRequest(TypedDict, total=False):
    keep_previous_seconds: int


class GetJobLogsResponseDataItem(TypedDict):
    seq: int
    at: "Time"
    attempt: int
    line: str


class GetJobLogsResponse(TypedDict):
    data: List["GetJobLogsResponseDataItem"]


class ListArtifactsResponse(TypedDict):
    data: List["ArtifactInfo"]


class UploadArtifactResponse(TypedDict):
    name: str
    content_type: str
    size: int
    sha256: str


class ClaimJobsRequest(TypedDict, total=False):
    worker_id: str
    name: str
    types: List[str]
    queues: List[str]
    max: int
    wait_seconds: int


class ClaimJobsResponse(TypedDict):
    jobs: List["ClaimedJob"]


class HeartbeatsRequestHeartbeatsItemProgress(TypedDict, total=False):
    fraction: float
    message: str


class _HeartbeatsRequestHeartbeatsItemOptional(TypedDict, total=False):
    progress: "HeartbeatsRequestHeartbeatsItemProgress"


class HeartbeatsRequestHeartbeatsItem(_HeartbeatsRequestHeartbeatsItemOptional):
    id: str
    attempt: int


class HeartbeatsRequest(TypedDict):
    heartbeats: List["HeartbeatsRequestHeartbeatsItem"]


class HeartbeatsResponseResultsItem(TypedDict):
    id: str
    status: "Status"
    cancel_requested: bool
    lease_expires_at: "Time"


class HeartbeatsResponse(TypedDict):
    results: List[Union["HeartbeatsResponseResultsItem", "RefusedItem"]]


class ReportsRequestReportsItemUsage(TypedDict, total=False):
    units: int


class _ReportsRequestReportsItemErrorOptional(TypedDict, total=False):
    code: str


class ReportsRequestReportsItemError(_ReportsRequestReportsItemErrorOptional):
    message: str


class _ReportsRequestReportsItemOptional(TypedDict, total=False):
    result: Any
    usage: "ReportsRequestReportsItemUsage"
    error: "ReportsRequestReportsItemError"
    retryable: bool


class ReportsRequestReportsItem(_ReportsRequestReportsItemOptional):
    id: str
    attempt: int
    outcome: Literal['succeeded', 'failed', 'released']


class ReportsRequest(TypedDict):
    reports: List["ReportsRequestReportsItem"]


class ReportsResponseResultsItem(TypedDict):
    id: str
    status: "Status"
    attempt: int
    run_at: "Time"


class ReportsResponse(TypedDict):
    results: List[Union["ReportsResponseResultsItem", "RefusedItem"]]


class HeartbeatRequestProgress(TypedDict, total=False):
    fraction: float
    message: str


class _HeartbeatRequestOptional(TypedDict, total=False):
    progress: "HeartbeatRequestProgress"


class HeartbeatRequest(_HeartbeatRequestOptional):
    attempt: int


class HeartbeatResponse(TypedDict):
    status: "Status"
    cancel_requested: bool
    lease_expires_at: "Time"


class CompleteRequestUsage(TypedDict, total=False):
    units: int


class _CompleteRequestOptional(TypedDict, total=False):
    result: Any
    usage: "CompleteRequestUsage"


class CompleteRequest(_CompleteRequestOptional):
    attempt: int


class _FailRequestErrorOptional(TypedDict, total=False):
    code: str


class FailRequestError(_FailRequestErrorOptional):
    message: str


class _FailRequestOptional(TypedDict, total=False):
    retryable: bool


class FailRequest(_FailRequestOptional):
    attempt: int
    error: "FailRequestError"


class ReleaseRequest(TypedDict):
    attempt: int


class AppendLogsRequest(TypedDict):
    attempt: int
    lines: List[str]


class _ListWorkersResponseDataItemOptional(TypedDict, total=False):
    free_slots: Optional[int]


class ListWorkersResponseDataItem(_ListWorkersResponseDataItemOptional):
    id: str
    name: str
    key_id: str
    types: List[str]
    first_seen: "Time"
    last_seen: "Time"
    jobs_in_hand: int


class ListWorkersResponse(TypedDict):
    data: List["ListWorkersResponseDataItem"]


class SubmitBatchRequest(TypedDict):
    jobs: List["SubmitRequest"]


class ListQueuesResponse(TypedDict):
    data: List["Queue"]


class ListSchedulesResponse(TypedDict):
    data: List["Schedule"]


class ListTypesResponse(TypedDict):
    data: List["JobType"]


class _CreateKeyRequestOptional(TypedDict, total=False):
    tenant: str
    role: Literal['tenant', 'admin', 'worker']


class CreateKeyRequest(_CreateKeyRequestOptional):
    name: str


CreateKeyResponse = Dict[str, Any]


class ListKeysResponse(TypedDict):
    data: List[Dict[str, Any]]


class GetOwnLimitsResponseHeld(TypedDict):
    queued: int
    running: int
    file_bytes: int


class GetOwnLimitsResponse(TenantLimits):
    held: "GetOwnLimitsResponseHeld"


class ConsoleSignInRequest(TypedDict):
    api_key: str


class ConsolePickTenantRequest(TypedDict, total=False):
    tenant: Optional[str]


class HealthResponse(TypedDict):
    status: Literal['ok']


class ReadyResponse(TypedDict):
    status: Literal['ready']


class _ListProblemsResponseProblemsItemOptional(TypedDict, total=False):
    since: Optional["Time"]


class ListProblemsResponseProblemsItem(_ListProblemsResponseProblemsItemOptional):
    kind: Literal['leases_rescued_repeatedly', 'failure_rate_jumped', 'webhook_endpoints_disabled', 'webhooks_behind', 'outbox_growing', 'worker_silent', 'clock_off']
    subject: str
    count: int
    detail: str


class ListProblemsResponse(TypedDict):
    problems: List["ListProblemsResponseProblemsItem"]


OpenApiDocument = Dict[str, Any]


class Reported(TypedDict):
    id: str
    status: "Status"
    attempt: int
    run_at: "Time"


class Secret(TypedDict):
    secret: str
    previous_secret: Optional[str]
    previous_valid_until: "NullableTime"


class DeliveryPage(TypedDict):
    data: List["Delivery"]
    has_more: bool
    next_cursor: Optional[str]
