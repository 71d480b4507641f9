/**
 * Outbound HTTP that cannot be turned against the server's own network: {@link
 * dev.spool.net.OutboundPolicy} says which addresses a URL may reach, and {@link
 * dev.spool.net.GuardedHttp} enforces it when it connects, on the very addresses it connects to.
 * Used by webhooks and URL sources. Imports nothing of Spool's.
 */
package dev.spool.net;
