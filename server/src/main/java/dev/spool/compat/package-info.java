/**
 * Compatibility profiles: Spool speaking the job APIs of Hamsa, Hume, Rodin, Gepetto and Daily
 * under {@code /compat/<vendor>}, so that their clients work by changing only the base URL. A
 * profile only translates: a vendor request becomes an ordinary job, a job is rendered in the
 * vendor's JSON (and its webhooks in the vendor's shape). One class per vendor, {@link
 * dev.spool.compat.Profiles} mounts them. A transport like {@code http}, whose request reading it
 * reuses; imports {@code artifact}, {@code auth}, {@code engine}, {@code http}, {@code job} and
 * {@code webhook}.
 */
package dev.spool.compat;
