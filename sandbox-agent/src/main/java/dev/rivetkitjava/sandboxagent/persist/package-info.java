/**
 * Where Sandbox Agent sessions and their events are kept: the {@link
 * dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver} SPI, its data records and an
 * in-memory driver.
 */
package dev.rivetkitjava.sandboxagent.persist;
