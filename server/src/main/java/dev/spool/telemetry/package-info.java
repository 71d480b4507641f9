/**
 * What an operator sees of a running Spool beside the API: the Prometheus registry every part
 * records into ({@link dev.spool.telemetry.Metrics}), label values kept bounded
 * ({@link dev.spool.telemetry.Labels}), and OpenTelemetry traces that continue a caller's
 * ({@link dev.spool.telemetry.Tracing}). Imports nothing of Spool but the job records.
 */
package dev.spool.telemetry;
