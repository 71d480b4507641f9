/**
 * The rules that move jobs through their states. {@link dev.spool.engine.Engine} is the one façade
 * every transport calls; {@link dev.spool.engine.LocalRunner} runs in-process handlers; duties in
 * {@code maintenance} keep leases and keys tidy. Imports {@code job} and {@code store} only.
 */
package dev.spool.engine;
