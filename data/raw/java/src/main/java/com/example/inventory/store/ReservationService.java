package com.example.inventory.store;

import com.example.inventory.model.Sku;
import com.example.inventory.model.StockLevel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Holds stock for orders that have not been paid yet. A reservation expires after a time to live,
 * and {@link #expire()} returns its units to available stock.
 */
public class ReservationService {

    /**
     * A hold on some units of one SKU.
     *
     * @param id the reservation id
     * @param sku the SKU reserved
     * @param quantity the units held
     * @param expiresAt when the hold lapses
     */
    public record Reservation(String id, Sku sku, int quantity, Instant expiresAt) {
        boolean isExpired(Instant now) {
            return !now.isBefore(expiresAt);
        }
    }

    private final InMemoryInventoryRepository repository;
    private final Clock clock;
    private final Duration timeToLive;
    private final Map<String, Reservation> open = new HashMap<>();

    /**
     * Creates the service.
     *
     * @param repository where stock levels are kept
     * @param clock the clock used for expiry, so tests can control time
     * @param timeToLive how long a reservation lasts
     */
    public ReservationService(InMemoryInventoryRepository repository, Clock clock, Duration timeToLive) {
        this.repository = repository;
        this.clock = clock;
        this.timeToLive = timeToLive;
    }

    /**
     * Reserves units of a SKU.
     *
     * @param sku the SKU
     * @param quantity the units to reserve, positive
     * @return the reservation
     * @throws IllegalArgumentException if not enough units are available
     */
    public synchronized Reservation reserve(Sku sku, int quantity) {
        repository.update(sku, level -> level.reserve(quantity));
        Reservation reservation = new Reservation(UUID.randomUUID().toString(), sku, quantity,
                clock.instant().plus(timeToLive));
        open.put(reservation.id(), reservation);
        return reservation;
    }

    /**
     * Cancels a reservation, returning its units to available stock.
     *
     * @param id the reservation id
     * @return {@code true} if an open reservation was cancelled
     */
    public synchronized boolean cancel(String id) {
        Reservation reservation = open.remove(id);
        if (reservation == null) {
            return false;
        }
        repository.update(reservation.sku(), level -> level.release(reservation.quantity()));
        return true;
    }

    /**
     * Converts a reservation into a shipment: the units leave stock for good.
     *
     * @param id the reservation id
     * @return the stock level after shipping
     * @throws IllegalStateException if there is no open reservation with that id
     */
    public synchronized StockLevel fulfil(String id) {
        Reservation reservation = open.remove(id);
        if (reservation == null) {
            throw new IllegalStateException("no open reservation " + id);
        }
        return repository.update(reservation.sku(), level -> level.ship(reservation.quantity()));
    }

    /**
     * Releases every reservation whose time to live has passed.
     *
     * @return the expired reservations, oldest expiry first
     */
    public synchronized List<Reservation> expire() {
        Instant now = clock.instant();
        List<Reservation> expired = new ArrayList<>();
        for (Reservation r : open.values()) {
            if (r.isExpired(now)) {
                expired.add(r);
            }
        }
        expired.sort((a, b) -> a.expiresAt().compareTo(b.expiresAt()));
        for (Reservation r : expired) {
            cancel(r.id());
        }
        return expired;
    }

    public synchronized int openCount() {
        return open.size();
    }

    /**
     * Blocks until no reservation is open for the SKU or the timeout passes, polling every
     * {@code 50} milliseconds.
     *
     * @param sku the SKU to wait for
     * @param timeout the longest time to wait
     * @return {@code true} if the SKU has no open reservation
     */
    public boolean awaitRelease(Sku sku, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (hasOpenReservation(sku)) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                // ignore and keep waiting
            }
        }
        return true;
    }

    private synchronized boolean hasOpenReservation(Sku sku) {
        return open.values().stream().anyMatch(r -> r.sku().equals(sku));
    }
}
