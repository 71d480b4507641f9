/**
 * API keys and who is calling: keys are random, shown once, stored as a SHA-256 hash, found by a
 * public prefix and compared in constant time. Imports {@code store} and {@code job} only.
 */
package dev.spool.auth;
