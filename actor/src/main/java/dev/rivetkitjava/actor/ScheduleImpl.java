package dev.rivetkitjava.actor;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * {@code c.schedule()}: durable calls of this actor's actions, kept in the store and armed in the
 * cell.runtime.
 */
final class ScheduleImpl implements ActorContext.Schedule {
    private final ActorCell<?, ?> cell;

    ScheduleImpl(ActorCell<?, ?> cell) {
        this.cell = cell;
    }

    @Override
    public String after(Duration delay, String action, Object... args) {
        return at(cell.runtime.clock().nowMillis() + delay.toMillis(), action, args);
    }

    @Override
    public String at(long epochMillis, String action, Object... args) {
        cell.requireNotStopped();
        if (cell.type.action(action) == null) {
            throw ActorErrors.actionNotFound(action);
        }
        String eventId = UUID.randomUUID().toString();
        cell.runtime
                .store()
                .putSchedule(
                        new ScheduledEvent(
                                eventId,
                                cell.id,
                                epochMillis,
                                action,
                                cell.runtime.json().write(Arrays.asList(args))));
        cell.runtime.armAlarm(cell.id, epochMillis);
        return eventId;
    }

    @Override
    public boolean cancel(String eventId) {
        return cell.runtime.store().deleteSchedule(cell.id, eventId);
    }

    @Override
    public List<ScheduledEvent> list() {
        return cell.runtime.store().schedules(cell.id);
    }
}
