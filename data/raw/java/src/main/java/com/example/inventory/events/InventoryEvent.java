package com.example.inventory.events;

import com.example.inventory.model.Location;
import com.example.inventory.model.Sku;
import java.time.Instant;
import java.util.Objects;

/**
 * Something that happened to the stock of one SKU. The set of event kinds is closed, so code that
 * handles events can be checked for completeness.
 */
public sealed interface InventoryEvent
        permits InventoryEvent.Received, InventoryEvent.Shipped, InventoryEvent.Adjusted, InventoryEvent.Moved {

    /**
     * Returns the SKU the event concerns.
     *
     * @return the SKU
     */
    Sku sku();

    /**
     * Returns when the event happened.
     *
     * @return the event time
     */
    Instant at();

    /**
     * Returns the change in stock on hand the event causes.
     *
     * <p>Receipts are positive, shipments negative, adjustments either, and moves between
     * locations zero.
     *
     * @return the signed change in units
     */
    default int quantityDelta() {
        if (this instanceof Received r) {
            return r.quantity();
        } else if (this instanceof Shipped s) {
            return -s.quantity();
        } else if (this instanceof Adjusted a) {
            return a.delta();
        }
        return 0;
    }

    /**
     * Describes the event in one line, for logs and audit screens.
     *
     * @return a human-readable description
     */
    default String describe() {
        String what;
        if (this instanceof Received r) {
            what = "received " + r.quantity() + " from " + r.supplierId();
        } else if (this instanceof Shipped s) {
            what = "shipped " + s.quantity() + " for order " + s.orderId();
        } else if (this instanceof Adjusted a) {
            what = "adjusted by " + a.delta() + " (" + a.reason() + ")";
        } else {
            Moved m = (Moved) this;
            what = "moved " + m.quantity() + " from " + m.from() + " to " + m.to();
        }
        return at() + " " + sku() + ": " + what;
    }

    /**
     * Goods arrived from a supplier.
     *
     * @param sku the SKU received
     * @param quantity the units received, positive
     * @param supplierId the delivering supplier
     * @param at when the goods were booked in
     */
    record Received(Sku sku, int quantity, String supplierId, Instant at) implements InventoryEvent {
        public Received {
            requirePositive(quantity);
            Objects.requireNonNull(supplierId, "supplierId");
        }
    }

    /**
     * Goods left the warehouse for a customer order.
     *
     * @param sku the SKU shipped
     * @param quantity the units shipped, positive
     * @param orderId the order they were shipped for
     * @param at when the shipment was confirmed
     */
    record Shipped(Sku sku, int quantity, String orderId, Instant at) implements InventoryEvent {
        public Shipped {
            requirePositive(quantity);
        }
    }

    /**
     * A stock count or write-off corrected the quantity on hand.
     *
     * @param sku the SKU adjusted
     * @param delta the signed correction, not zero
     * @param reason why the stock was corrected
     * @param at when the correction was booked
     */
    record Adjusted(Sku sku, int delta, Reason reason, Instant at) implements InventoryEvent {
        public Adjusted {
            if (delta == 0) {
                throw new IllegalArgumentException("an adjustment must change the quantity");
            }
        }
    }

    /**
     * Goods were moved between two storage locations; the total on hand is unchanged.
     *
     * @param sku the SKU moved
     * @param quantity the units moved
     * @param from where they were taken from
     * @param to where they were put
     * @param at when the move was confirmed
     */
    record Moved(Sku sku, int quantity, Location from, Location to, Instant at) implements InventoryEvent {
        public Moved {
            requirePositive(quantity);
            if (from.equals(to)) {
                throw new IllegalArgumentException("a move needs two different locations");
            }
        }
    }

    /** Why stock on hand was corrected outside of receipts and shipments. */
    enum Reason {
        STOCK_COUNT, DAMAGED, EXPIRED, THEFT, RETURNED
    }

    private static void requirePositive(int quantity) {
        if (quantity <= 0) {
            throw new IllegalArgumentException("quantity must be positive: " + quantity);
        }
    }
}
