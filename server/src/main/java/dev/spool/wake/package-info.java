/**
 * How background loops wait for work: {@link dev.spool.wake.WakeUp}, rung by whoever made work
 * (a commit, a freed slot) and awaited with a bound, so a missed ring costs at most one period.
 * Imports nothing of Spool.
 */
package dev.spool.wake;
