/**
 * Limits a deployment puts on its tenants: rate limits of requests and submits (token buckets,
 * shared through PostgreSQL when several nodes share the work), quotas on queued and running jobs
 * and on file bytes, resolved from the configuration and the admin API's overrides, and tenants'
 * usage. Owns the seams it needs from persistence: {@link dev.spool.limit.Quotas}, which the store
 * enforces inside its transactions, and {@link dev.spool.limit.TenantStore}. Imports {@code auth}
 * and {@code job}.
 */
package dev.spool.limit;
