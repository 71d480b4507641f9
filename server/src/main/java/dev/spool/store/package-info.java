/**
 * Persistence in the domain's own words, one seam per area: {@link dev.spool.store.Store} for the
 * job's life ({@code jobInsert}, {@code jobClaim}, {@code jobFinish}, ...), and beside it {@code
 * KeyStore}, {@code WebhookStore}, {@code FileStore}, {@code WorkerStore} and {@code EventLog}, all
 * opened together as one {@link dev.spool.store.Storage}. Stores hold no business rules: the engine
 * decides what happens to a job, a store applies it atomically and fenced. {@code now} always comes
 * from the caller. May import only {@code job}.
 */
package dev.spool.store;
