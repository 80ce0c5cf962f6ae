/**
 * What the JDBC actor stores (SQLite, PostgreSQL) share: {@link
 * dev.rivetkitjava.actor.store.jdbc.ActorTables}. Public only because the stores live in other
 * modules; applications use a store, not this.
 */
package dev.rivetkitjava.actor.store.jdbc;
