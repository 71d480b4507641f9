/**
 * Limits a deployment puts on its tenants: rate limits of requests and submits (token buckets,
 * shared through PostgreSQL when several nodes share the work), and quotas on queued and running
 * jobs and on file bytes, resolved from the configuration and the admin API's overrides. The
 * store enforces the job quotas inside its transactions ({@link dev.spool.store.Store.Quotas}).
 * Imports {@code auth}, {@code job} and {@code store}.
 */
package dev.spool.limit;
