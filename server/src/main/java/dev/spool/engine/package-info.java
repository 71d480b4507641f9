/**
 * The rules that move jobs through their states. {@link dev.spool.engine.Engine} is the one façade
 * every transport calls, submit included (it checks a {@link dev.spool.engine.Submission} and
 * takes its files through an {@link dev.spool.engine.Intake}); {@link dev.spool.engine.LocalRunner}
 * runs in-process handlers; duties in {@code maintenance} keep leases and keys tidy. Imports {@code
 * job}, {@code store} and {@code wake} only.
 */
package dev.spool.engine;
