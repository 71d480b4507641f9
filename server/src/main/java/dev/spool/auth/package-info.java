/**
 * API keys and who is calling: keys are random, shown once, stored as a SHA-256 hash, found by a
 * public prefix and compared in constant time. Owns its record ({@link dev.spool.auth.ApiKey}) and
 * the seam it needs from persistence ({@link dev.spool.auth.KeyStore}, implemented in {@code
 * store}). Imports {@code job} only.
 */
package dev.spool.auth;
