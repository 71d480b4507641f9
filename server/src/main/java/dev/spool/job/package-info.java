/**
 * The job vocabulary: records and pure rules (statuses and their transitions, validation of a new
 * job, retry backoff, the error type with its closed set of codes). No I/O here, and no imports from
 * any other Spool package: everything else points down to this one.
 */
package dev.spool.job;
