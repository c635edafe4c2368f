package com.example.inventory.events;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Delivers published events synchronously to the listeners subscribed to their type.
 *
 * <p>A listener subscribed to a supertype, such as {@code InventoryEvent.class}, receives every
 * subtype as well. Listeners are called in subscription order on the publishing thread.
 *
 * @param <E> the root type of the events this bus carries
 */
public class EventBus<E> {

    private final Map<Class<?>, List<Consumer<Object>>> listeners = new ConcurrentHashMap<>();
    private int failures;

    /**
     * A handle returned by {@link EventBus#subscribe}; closing it removes the listener.
     */
    public final class Subscription implements AutoCloseable {
        private final Class<?> type;
        private final Consumer<Object> listener;
        private boolean active = true;

        private Subscription(Class<?> type, Consumer<Object> listener) {
            this.type = type;
            this.listener = listener;
        }

        public boolean isActive() {
            return active;
        }

        @Override
        public void close() {
            if (active) {
                listeners.getOrDefault(type, List.of()).remove(listener);
                active = false;
            }
        }
    }

    /**
     * Subscribes a listener to events of {@code type} and its subtypes.
     *
     * @param <T> the event type listened to
     * @param type the class of events to receive
     * @param listener called with each matching event
     * @return a subscription that can be closed to unsubscribe
     */
    public <T extends E> Subscription subscribe(Class<T> type, Consumer<? super T> listener) {
        Consumer<Object> adapter = event -> listener.accept(type.cast(event));
        listeners.computeIfAbsent(type, t -> new CopyOnWriteArrayList<>()).add(adapter);
        return new Subscription(type, adapter);
    }

    /**
     * Delivers an event to every listener whose type matches.
     *
     * @param event the event to deliver
     * @return the number of listeners that received it
     */
    public int publish(E event) {
        int delivered = 0;
        for (Map.Entry<Class<?>, List<Consumer<Object>>> entry : listeners.entrySet()) {
            if (!entry.getKey().isInstance(event)) {
                continue;
            }
            for (Consumer<Object> listener : entry.getValue()) {
                try {
                    listener.accept(event);
                    delivered++;
                } catch (Exception e) {
                    failures++;
                    e.printStackTrace();
                }
            }
        }
        return delivered;
    }

    /**
     * Publishes several events in order.
     *
     * @param events the events to deliver
     * @return the total number of deliveries
     */
    public int publishAll(Iterable<? extends E> events) {
        int total = 0;
        for (E event : events) {
            total += publish(event);
        }
        return total;
    }

    public int failureCount() {
        return failures;
    }

    /**
     * Returns the number of listeners currently subscribed, over all types.
     *
     * @return the listener count
     */
    public int listenerCount() {
        int count = 0;
        for (List<Consumer<Object>> list : listeners.values()) {
            count += list.size();
        }
        return count;
    }

    /**
     * Creates a listener that collects the events it receives into a list, for tests and replays.
     *
     * @param <T> the event type
     * @param sink the list to add events to
     * @return the collecting listener
     */
    public static <T> Consumer<T> collectingInto(List<? super T> sink) {
        return sink::add;
    }

    /**
     * Returns the events of {@code type} among {@code events}, in order.
     *
     * @param <T> the wanted type
     * @param events the events to filter
     * @param type the class to keep
     * @return a new list with the matching events
     */
    public static <T> List<T> ofType(Iterable<?> events, Class<T> type) {
        List<T> result = new ArrayList<>();
        for (Object event : events) {
            if (type.isInstance(event)) {
                result.add(type.cast(event));
            }
        }
        return result;
    }
}
