package com.example.inventory.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The product categories the warehouse distinguishes, each with its SKU prefix and handling rules.
 *
 * <p>Perishable categories override {@link #shelfLifeDays()}; everything else keeps indefinitely.
 */
public enum Category {
    HARDWARE("HW", true),
    TEXTILES("TX", true),
    FOOD("FD", false) {
        @Override
        public int shelfLifeDays() {
            return 14;
        }
    },
    BEVERAGES("BV", true) {
        @Override
        public int shelfLifeDays() {
            return 180;
        }
    },
    BOOKS("BK", false),
    ELECTRONICS("EL", true) {
        @Override
        public boolean requiresSerialNumber() {
            return true;
        }
    };

    private final String code;
    private final boolean fullyTaxed;

    Category(String code, boolean fullyTaxed) {
        this.code = code;
        this.fullyTaxed = fullyTaxed;
    }

    public String code() {
        return code;
    }

    /**
     * Tells whether the category is taxed at the standard rate rather than a reduced one.
     *
     * @return {@code true} for the standard rate
     */
    public boolean isFullyTaxed() {
        return fullyTaxed;
    }

    /**
     * Returns how many days an item of this category can be stored before it must be sold or
     * written off.
     *
     * @return the shelf life in days, or {@link Integer#MAX_VALUE} if the category does not expire
     */
    public int shelfLifeDays() {
        return Integer.MAX_VALUE;
    }

    /**
     * Tells whether goods of this category are tracked by individual serial number.
     *
     * @return {@code true} if each unit carries a serial number
     */
    public boolean requiresSerialNumber() {
        return false;
    }

    /**
     * Tells whether goods of this category expire.
     *
     * @return {@code true} if {@link #shelfLifeDays()} is finite
     */
    public boolean isPerishable() {
        return shelfLifeDays() != Integer.MAX_VALUE;
    }

    /**
     * Finds the category whose SKU prefix is {@code code}, ignoring case.
     *
     * @param code a SKU prefix such as {@code "hw"}
     * @return the matching category, or empty if none matches
     */
    public static Optional<Category> fromCode(String code) {
        String wanted = code.toUpperCase(Locale.ROOT);
        return Arrays.stream(values()).filter(c -> c.code.equals(wanted)).findFirst();
    }

    /**
     * Returns the category of a SKU, based on its prefix.
     *
     * @param sku the SKU
     * @return the category
     * @throws IllegalArgumentException if no category uses the SKU's prefix
     */
    public static Category of(Sku sku) {
        return fromCode(sku.categoryCode())
                .orElseThrow(() -> new IllegalArgumentException("unknown category prefix in " + sku));
    }
}
