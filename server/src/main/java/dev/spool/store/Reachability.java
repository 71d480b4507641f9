package dev.spool.store;

import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the database answers, as the last read or write found it. A database that cannot be
 * reached is not a bug: callers get {@link ErrorCode#UNAVAILABLE} (503 with {@code Retry-After}),
 * and the log says once that it went away and once that it came back, with how long it was gone
 * and how many calls were refused meanwhile — never a stack trace per request.
 */
public final class Reachability {
    private static final Logger log = LoggerFactory.getLogger(Reachability.class);

    /** SQLSTATE classes and codes that mean "the database is not there", not "this statement is wrong". */
    private static boolean unreachableState(String state) {
        if (state == null) {
            return false;
        }
        return state.startsWith("08") // connection exception
                || state.equals("57P01") || state.equals("57P02") || state.equals("57P03") // shutdown, crash, starting up
                || state.equals("53300"); // too many connections
    }

    /** A statement the database cancelled at statement_timeout: this call is too slow, the database is there. */
    private static boolean cancelled(Throwable e) {
        return anyCause(e, t -> t instanceof SQLException sql && "57014".equals(sql.getSQLState()));
    }

    private static boolean anyCause(Throwable e, Predicate<Throwable> test) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (test.test(t)) {
                return true;
            }
        }
        return false;
    }

    /** While the database is down, one call in this long goes to it; the others are refused at once. */
    static final long TRY_EVERY_NANOS = 250_000_000L;

    private final String name;
    private volatile long downSince; // 0 while up
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong lastTry = new AtomicLong();

    Reachability(String name) {
        this.name = name;
    }

    /** True when {@code e} (or a cause of it) says the database could not be reached or did not answer in time. */
    public static boolean isUnreachable(Throwable e) {
        return anyCause(e, t -> t instanceof SQLException sql && (unreachableState(sql.getSQLState())
                        || t instanceof SQLTransientConnectionException || t instanceof SQLRecoverableException)
                || t instanceof ConnectException || t instanceof SocketTimeoutException || t instanceof SocketException);
    }

    boolean up() {
        return downSince == 0;
    }

    /**
     * Whether a call should go to the database now: always while it is up; while it is down, one
     * call per {@link #TRY_EVERY_NANOS}, so that requests are not each held for a connect timeout.
     */
    boolean mayTry() {
        if (downSince == 0) {
            return true;
        }
        long now = System.nanoTime();
        long last = lastTry.get();
        return now - last >= TRY_EVERY_NANOS && lastTry.compareAndSet(last, now);
    }

    /** The answer to a call that {@link #mayTry} held back. */
    SpoolException refuse() {
        refused.incrementAndGet();
        return new SpoolException(ErrorCode.UNAVAILABLE, "The database is not answering; retry shortly.");
    }

    /** A call reached the database. */
    void answered() {
        if (downSince != 0) {
            cameBack();
        }
    }

    private synchronized void cameBack() {
        long since = downSince;
        if (since != 0) {
            downSince = 0;
            log.warn("the {} answers again after {} ms; {} calls were refused meanwhile", name,
                    System.currentTimeMillis() - since, refused.getAndSet(0));
        }
    }

    /**
     * A call failed with {@code e}. Returns the exception to throw: {@code UNAVAILABLE} when the
     * database could not be reached (logged once per outage), else {@code e} itself as it was. An
     * {@code UNAVAILABLE} made by the caller itself (the writer timed out, or has no connection)
     * counts as the database not answering.
     */
    RuntimeException failed(Throwable e, String what) {
        boolean ours = e instanceof SpoolException s && s.code() == ErrorCode.UNAVAILABLE;
        if (!ours && cancelled(e)) {
            return new SpoolException(ErrorCode.UNAVAILABLE, "The database did not answer this in time "
                    + "(storage.statement_timeout_ms); retry shortly.", e);
        }
        if (!ours && !isUnreachable(e)) {
            return e instanceof RuntimeException r ? r : new IllegalStateException(what + " failed: " + e.getMessage(), e);
        }
        refused.incrementAndGet();
        if (downSince == 0) {
            wentAway(e);
        }
        return e instanceof SpoolException s ? s
                : new SpoolException(ErrorCode.UNAVAILABLE, "The database is not answering; retry shortly.", e);
    }

    private synchronized void wentAway(Throwable e) {
        if (downSince == 0) {
            downSince = System.currentTimeMillis();
            log.warn("the {} is not answering ({}); calls get 503 until it is back", name, rootMessage(e));
        }
    }

    /** The innermost cause, in one line: what a log line about an outage should say. */
    public static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
}
