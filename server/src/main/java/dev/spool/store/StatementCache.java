package dev.spool.store;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A connection that keeps the statements it prepared and hands them out again for the same SQL
 * text. SQLite's driver compiles every {@code prepareStatement} anew and has no cache of its own
 * (xerial/sqlite-jdbc#614); compiling was a third of the writer thread's time. Closing a handed-out
 * statement only clears its parameters and gives it back; closing the connection closes them all.
 *
 * <p>At most {@code capacity} texts are kept, the least recently used one is closed to make room.
 * A text whose statement is still in use (a query nested inside the loop of the same query) gets a
 * statement of its own, closed as usual.
 */
final class StatementCache implements InvocationHandler {
    private final Connection connection;
    private final Map<String, Cached> statements;

    private StatementCache(Connection connection, int capacity) {
        this.connection = connection;
        this.statements = new LinkedHashMap<>(capacity * 2, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
                if (size() <= capacity || eldest.getValue().inUse) {
                    return false;
                }
                eldest.getValue().closeQuietly();
                return true;
            }
        };
    }

    /** {@code connection}, keeping up to {@code capacity} prepared statements. Not for use by two threads at once. */
    static Connection wrap(Connection connection, int capacity) {
        return (Connection) Proxy.newProxyInstance(StatementCache.class.getClassLoader(),
                new Class<?>[] {Connection.class}, new StatementCache(connection, capacity));
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        if (name.equals("equals") || name.equals("hashCode")) {
            return identity(proxy, name, args);
        }
        if (name.equals("prepareStatement") && args.length == 1) {
            return prepare((String) args[0]);
        }
        if (name.equals("close")) {
            for (Cached cached : List.copyOf(statements.values())) {
                cached.closeQuietly();
            }
            statements.clear();
        }
        return call(connection, method, args);
    }

    private PreparedStatement prepare(String sql) throws SQLException {
        Cached cached = statements.get(sql);
        if (cached == null) {
            cached = new Cached(connection.prepareStatement(sql));
            statements.put(sql, cached);
        } else if (cached.inUse) {
            return connection.prepareStatement(sql);
        }
        cached.inUse = true;
        return cached.handle;
    }

    /** A proxy is equal only to itself, as the connection and statements it stands for are. */
    private static Object identity(Object proxy, String name, Object[] args) {
        return name.equals("equals") ? (Object) (proxy == args[0]) : (Object) System.identityHashCode(proxy);
    }

    private static Object call(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** One kept statement, and the handle given out for it whose {@code close} gives it back. */
    private static final class Cached implements InvocationHandler {
        final PreparedStatement statement;
        final PreparedStatement handle;
        boolean inUse;

        Cached(PreparedStatement statement) {
            this.statement = statement;
            this.handle = (PreparedStatement) Proxy.newProxyInstance(StatementCache.class.getClassLoader(),
                    new Class<?>[] {PreparedStatement.class}, this);
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "equals", "hashCode" -> {
                    return identity(proxy, method.getName(), args);
                }
                case "close" -> {
                    if (inUse) {
                        inUse = false;
                        statement.clearParameters();
                    }
                    return null;
                }
                case "isClosed" -> {
                    return !inUse || statement.isClosed();
                }
                default -> {
                    if (!inUse) {
                        throw new SQLException("statement is closed");
                    }
                    return call(statement, method, args);
                }
            }
        }

        void closeQuietly() {
            try {
                statement.close();
            } catch (SQLException ignored) {
                // closing: nothing left to do with it
            }
        }
    }

}
