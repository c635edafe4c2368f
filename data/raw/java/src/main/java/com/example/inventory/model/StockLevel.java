package com.example.inventory.model;

import java.util.Objects;

/**
 * How much of one SKU the warehouse holds, and how much of that is already promised to orders.
 *
 * @param sku the SKU counted
 * @param onHand units physically present
 * @param reserved units held for open orders, never more than {@code onHand}
 * @param reorderPoint the level at or below which a purchase order should be raised
 */
public record StockLevel(Sku sku, int onHand, int reserved, int reorderPoint) {

    /**
     * Checks the invariants {@code 0 <= reserved <= onHand} and {@code reorderPoint >= 0}.
     *
     * @throws IllegalArgumentException if an invariant does not hold
     */
    public StockLevel {
        Objects.requireNonNull(sku, "sku");
        if (onHand < 0 || reserved < 0 || reorderPoint < 0) {
            throw new IllegalArgumentException("stock figures must not be negative for " + sku);
        }
        if (reserved > onHand) {
            throw new IllegalArgumentException(
                    "reserved (" + reserved + ") exceeds on hand (" + onHand + ") for " + sku);
        }
    }

    /**
     * Returns an empty stock level for a SKU.
     *
     * @param sku the SKU
     * @param reorderPoint the reorder point to use
     * @return a level with nothing on hand or reserved
     */
    public static StockLevel empty(Sku sku, int reorderPoint) {
        return new StockLevel(sku, 0, 0, reorderPoint);
    }

    /**
     * Returns the units that can still be promised to new orders.
     *
     * @return {@code onHand - reserved}
     */
    public int available() {
        return onHand - reserved;
    }

    /**
     * Tells whether the available quantity has fallen to the reorder point.
     *
     * @return {@code true} if a purchase order should be raised
     */
    public boolean needsReorder() {
        return available() <= reorderPoint;
    }

    /**
     * Returns a copy with {@code delta} units added to (or, if negative, removed from) stock on hand.
     *
     * @param delta the change in units
     * @return the new level
     * @throws IllegalArgumentException if the result would drop below the reserved quantity
     */
    public StockLevel adjust(int delta) {
        return new StockLevel(sku, Math.addExact(onHand, delta), reserved, reorderPoint);
    }

    /**
     * Returns a copy with {@code quantity} more units reserved.
     *
     * @param quantity the units to reserve, positive
     * @return the new level
     * @throws IllegalArgumentException if fewer than {@code quantity} units are available
     */
    public StockLevel reserve(int quantity) {
        if (quantity <= 0) {
            throw new IllegalArgumentException("quantity must be positive: " + quantity);
        }
        if (quantity > available()) {
            throw new IllegalArgumentException(
                    "only " + available() + " of " + sku + " available, " + quantity + " requested");
        }
        return new StockLevel(sku, onHand, reserved + quantity, reorderPoint);
    }

    /**
     * Returns a copy with {@code quantity} reserved units released back to available stock.
     *
     * @param quantity the units to release; at most the reserved quantity
     * @return the new level
     */
    public StockLevel release(int quantity) {
        return new StockLevel(sku, onHand, Math.max(0, reserved - quantity), reorderPoint);
    }

    /**
     * Returns a copy in which {@code quantity} reserved units have been picked and shipped, so they
     * leave both the reserved and the on-hand figures.
     *
     * @param quantity the units shipped
     * @return the new level
     * @throws IllegalArgumentException if more units are shipped than were reserved
     */
    public StockLevel ship(int quantity) {
        if (quantity > reserved) {
            throw new IllegalArgumentException("cannot ship " + quantity + " of " + sku + ": only " + reserved + " reserved");
        }
        return new StockLevel(sku, onHand - quantity, reserved - quantity, reorderPoint);
    }
}
