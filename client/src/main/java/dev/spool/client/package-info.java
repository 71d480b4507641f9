/**
 * The Java SDK for Spool's HTTP API: {@link dev.spool.client.SpoolClient} and the records it
 * returns. Depends on the JDK's HttpClient and Jackson only, never on the server.
 */
package dev.spool.client;
