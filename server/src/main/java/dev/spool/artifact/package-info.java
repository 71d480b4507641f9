/**
 * Where the bytes of job files live, addressed by their SHA-256 so that equal files are stored
 * once. Reads and writes are streamed: no file is ever held in memory whole. Imports {@code job}.
 */
package dev.spool.artifact;
