package dev.spool.store;

import java.sql.Connection;
import java.sql.SQLException;

/** A unit of SQL work run inside a transaction that the store opens and commits around it. */
@FunctionalInterface
interface SqlWork<T> {
    T run(Connection c) throws SQLException;
}
