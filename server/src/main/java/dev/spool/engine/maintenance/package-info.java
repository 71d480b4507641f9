/**
 * Housekeeping, split into small duties with {@code runOnce(now)}: each is safe to run on every
 * node at once, and tests drive them with a clock instead of waiting. Imports {@code engine} only.
 */
package dev.spool.engine.maintenance;
