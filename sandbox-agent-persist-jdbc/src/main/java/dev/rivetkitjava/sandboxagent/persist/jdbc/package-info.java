/**
 * What the JDBC session persist drivers (SQLite, PostgreSQL) share: {@link
 * dev.rivetkitjava.sandboxagent.persist.jdbc.SessionTables}. Public only because the drivers live
 * in other modules; applications use a driver, not this.
 */
package dev.rivetkitjava.sandboxagent.persist.jdbc;
