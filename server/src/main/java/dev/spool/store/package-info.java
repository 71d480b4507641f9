/**
 * Persistence in the job's own words ({@code jobInsert}, {@code jobClaim}, {@code jobFinish}, ...).
 * Stores hold no business rules: the engine decides what happens to a job, a store applies it
 * atomically and fenced. {@code now} always comes from the caller. May import only {@code job}.
 */
package dev.spool.store;
