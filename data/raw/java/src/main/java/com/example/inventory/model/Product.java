package com.example.inventory.model;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * A product the warehouse stocks. Instances are immutable; use {@link #builder(Sku)} to create
 * one and {@link #toBuilder()} to derive a modified copy.
 *
 * <p>Two products are equal when their SKUs are equal: the SKU is the identity, the other fields
 * are attributes that may change over time.
 */
public final class Product {

    private final Sku sku;
    private final String name;
    private final Category category;
    private final Money unitPrice;
    private final UnitOfMeasure unit;
    private final int weightGrams;
    private final Set<String> tags;
    private final boolean discontinued;

    private Product(Builder builder) {
        this.sku = builder.sku;
        this.name = builder.name;
        this.category = builder.category != null ? builder.category : Category.of(builder.sku);
        this.unitPrice = builder.unitPrice;
        this.unit = builder.unit;
        this.weightGrams = builder.weightGrams;
        this.tags = Collections.unmodifiableSet(new LinkedHashSet<>(builder.tags));
        this.discontinued = builder.discontinued;
    }

    /**
     * Starts building a product with the given SKU.
     *
     * <pre>{@code
     * Product hammer = Product.builder(Sku.of("HW", 42))
     *         .name("Claw hammer 450 g")
     *         .unitPrice(Money.parse("14.90 EUR"))
     *         .tag("tools")
     *         .build();
     * }</pre>
     *
     * @param sku the product's SKU
     * @return a new builder
     */
    public static Builder builder(Sku sku) {
        return new Builder(sku);
    }

    /**
     * Returns a builder initialized with this product's fields, to create a modified copy.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder b = new Builder(sku).name(name).category(category).unitPrice(unitPrice).unit(unit);
        b.weightGrams(weightGrams).discontinued(discontinued);
        tags.forEach(b::tag);
        return b;
    }

    public Sku getSku() {
        return sku;
    }

    public String getName() {
        return name;
    }

    public Category getCategory() {
        return category;
    }

    public Money getUnitPrice() {
        return unitPrice;
    }

    public UnitOfMeasure getUnit() {
        return unit;
    }

    public int getWeightGrams() {
        return weightGrams;
    }

    public Set<String> getTags() {
        return tags;
    }

    public boolean isDiscontinued() {
        return discontinued;
    }

    /**
     * Tells whether the product carries a tag, ignoring case.
     *
     * @param tag the tag to look for
     * @return {@code true} if the product has the tag
     */
    public boolean hasTag(String tag) {
        return tags.stream().anyMatch(t -> t.equalsIgnoreCase(tag));
    }

    /**
     * Computes the shipping weight of {@code quantity} units in kilograms, rounded up to one
     * decimal, as carriers bill it.
     *
     * @param quantity the number of units, not negative
     * @return the weight in kilograms
     * @throws IllegalArgumentException if {@code quantity} is negative
     */
    public double shippingWeightKg(int quantity) {
        if (quantity < 0) {
            throw new IllegalArgumentException("negative quantity: " + quantity);
        }
        long grams = (long) weightGrams * quantity;
        return Math.ceil(grams / 100.0) / 10.0;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || (o instanceof Product other && sku.equals(other.sku));
    }

    @Override
    public int hashCode() {
        return sku.hashCode();
    }

    @Override
    public String toString() {
        return sku + " " + name + " (" + unitPrice + ")";
    }

    /** Collects the fields of a {@link Product}; {@link #build()} checks that the required ones are set. */
    public static final class Builder {
        private final Sku sku;
        private String name;
        private Category category;
        private Money unitPrice;
        private UnitOfMeasure unit = UnitOfMeasure.PIECE;
        private int weightGrams;
        private final Set<String> tags = new LinkedHashSet<>();
        private boolean discontinued;

        private Builder(Sku sku) {
            this.sku = Objects.requireNonNull(sku, "sku");
        }

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        public Builder category(Category category) {
            this.category = category;
            return this;
        }

        public Builder unitPrice(Money unitPrice) {
            this.unitPrice = unitPrice;
            return this;
        }

        public Builder unit(UnitOfMeasure unit) {
            this.unit = unit;
            return this;
        }

        public Builder weightGrams(int weightGrams) {
            this.weightGrams = weightGrams;
            return this;
        }

        /**
         * Adds a tag; blank tags are ignored and duplicates are kept once.
         *
         * @param tag the tag, trimmed before it is stored
         * @return this builder
         */
        public Builder tag(String tag) {
            if (tag != null && !tag.isBlank()) {
                tags.add(tag.trim());
            }
            return this;
        }

        public Builder discontinued(boolean discontinued) {
            this.discontinued = discontinued;
            return this;
        }

        /**
         * Creates the product.
         *
         * @return the product
         * @throws IllegalStateException if the name or the unit price is missing, or the weight is negative
         */
        public Product build() {
            if (name == null || name.isBlank()) {
                throw new IllegalStateException("product " + sku + " has no name");
            }
            if (unitPrice == null) {
                throw new IllegalStateException("product " + sku + " has no unit price");
            }
            if (weightGrams < 0) {
                throw new IllegalStateException("product " + sku + " has a negative weight");
            }
            return new Product(this);
        }
    }
}
