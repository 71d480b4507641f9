/**
 * Executors that run inside the server: the built-in handlers, among them demo types that do real
 * work on their input with no model weights. Implements {@code engine.JobHandler}; imports
 * {@code engine} and {@code job} only.
 */
package dev.spool.executor;
