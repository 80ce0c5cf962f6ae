package dev.rivetkitjava.actor.store;

class InMemoryActorStoreTest extends ActorStoreContract {
    @Override
    protected ActorStore newStore() {
        return new InMemoryActorStore();
    }
}
