package dev.rivetkitjava.sandboxagent.persist;

import java.util.Optional;

class InMemorySessionPersistDriverTest extends SessionPersistDriverContract {

    @Override
    protected SessionPersistDriver newDriver() {
        return new InMemorySessionPersistDriver();
    }

    @Override
    protected Optional<SessionPersistDriver> newCappedDriver(
            int maxSessions, int maxEventsPerSession) {
        return Optional.of(new InMemorySessionPersistDriver(maxSessions, maxEventsPerSession));
    }
}
