/**
 * Persistence, in SQL, one seam per area: {@link dev.spool.store.Store} for the job's life ({@code
 * jobInsert}, {@code jobClaim}, {@code jobFinish}, ...), {@code WorkerStore} and {@code EventLog}
 * here, and the seams the areas declare for themselves ({@code auth.KeyStore}, {@code
 * webhook.WebhookStore}, {@code artifact.FileStore}), all opened together as one {@link
 * dev.spool.store.Storage}. Stores hold no business rules: the engine decides what happens to a job,
 * the webhook package who receives what, and a store applies it atomically and fenced. {@code now}
 * always comes from the caller. Imports {@code job} and the areas' records and seams ({@code
 * auth}, {@code artifact}, {@code webhook}), never a transport.
 */
package dev.spool.store;
