/**
 * Wiring and configuration: {@link dev.spool.Server} builds every part from a {@link dev.spool.Config}.
 * The only package that sees them all.
 */
package dev.spool;
