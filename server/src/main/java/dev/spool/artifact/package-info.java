/**
 * Job files: where their bytes live, addressed by their SHA-256 so that equal files are stored once
 * (reads and writes are streamed: no file is ever held in memory whole), their records ({@link
 * dev.spool.artifact.Artifact}) and the seam for those ({@link dev.spool.artifact.FileStore},
 * implemented in {@code store}), URL sources fetched under their policy, and freeing the bytes no
 * record names any more. Imports {@code job} and {@code net}.
 */
package dev.spool.artifact;
