import type { components } from "./schema.js";

/** The types of Spool's API, named after the schemas of its OpenAPI document (src/schema.d.ts is generated from it). */
type Schemas = components["schemas"];

export type Job = Schemas["Job"];
export type JobPage = Schemas["JobPage"];
export type JobEvent = Schemas["JobEvent"];
export type JobStatus = Schemas["Status"];
export type SubmitRequest = Schemas["SubmitRequest"];
export type JobWebhook = Schemas["JobWebhook"];
export type ArtifactInfo = Schemas["ArtifactInfo"];
export type ClaimedJob = Schemas["ClaimedJob"];
export type Batch = Schemas["Batch"];
export type BulkFilter = Schemas["BulkFilter"];
export type BulkResult = Schemas["BulkResult"];
export type WebhookEndpoint = Schemas["WebhookEndpoint"];
export type WebhookEventName = Schemas["WebhookEventName"];
export type Delivery = Schemas["Delivery"];
export type DeliveryPage = Schemas["DeliveryPage"];
export type Secret = Schemas["Secret"];
export type ApiKey = Schemas["ApiKey"];
export type Usage = Schemas["Usage"];
export type Limits = Schemas["Limits"];
export type TenantLimits = Schemas["TenantLimits"];
export type OwnLimits = Schemas["GetOwnLimitsResponse"];
export type Queue = Schemas["Queue"];
export type Schedule = Schemas["Schedule"];
export type ScheduleRequest = Schemas["ScheduleRequest"];
export type ScheduleChange = Schemas["ScheduleChange"];
export type JobType = Schemas["JobType"];
export type Worker = Schemas["ListWorkersResponse"]["data"][number];
export type LogLine = Schemas["GetJobLogsResponse"]["data"][number];
export type Stats = Schemas["Stats"];
export type Problem = Schemas["Problem"];
export type { components, paths, operations } from "./schema.js";
