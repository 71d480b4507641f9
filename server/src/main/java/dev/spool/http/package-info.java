/**
 * The native HTTP API v1 on Helidon SE. The only package (with later transports) that imports the
 * HTTP library. It parses and checks requests, calls {@code engine.Engine} and writes the wire JSON;
 * it holds no job rules of its own.
 */
package dev.spool.http;
