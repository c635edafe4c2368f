package com.example.inventory.pricing;

import com.example.inventory.model.Money;
import com.example.inventory.model.Sku;
import java.math.BigDecimal;
import java.util.Set;

/**
 * A promotion that lowers the price of an order line. The permitted rules are fixed so that a
 * price breakdown can always explain which rule applied.
 */
public sealed interface PricingRule permits PricingRule.PercentOff, PricingRule.BuyXGetY, PricingRule.FixedPrice {

    /**
     * Tells whether the rule applies to a SKU.
     *
     * @param sku the SKU of the order line
     * @return {@code true} if the rule may lower the line's price
     */
    boolean appliesTo(Sku sku);

    /**
     * Computes the discount the rule grants on a line.
     *
     * @param unitPrice the regular price of one unit
     * @param quantity the units on the line, positive
     * @return the discount, never negative and never more than the line total
     */
    Money discount(Money unitPrice, int quantity);

    /**
     * Returns a short label for receipts, for example {@code "10% off"}.
     *
     * @return the label
     */
    String label();

    /**
     * Creates a rule that applies to a fixed set of SKUs.
     *
     * @param skus the SKUs covered
     * @param percent the percentage off, between 1 and 100
     * @return the rule
     */
    static PricingRule percentOff(Set<Sku> skus, int percent) {
        return new PercentOff(Set.copyOf(skus), percent);
    }

    /**
     * A percentage off the line total.
     *
     * @param skus the SKUs covered
     * @param percent the percentage, 1 to 100
     */
    record PercentOff(Set<Sku> skus, int percent) implements PricingRule {
        public PercentOff {
            if (percent < 1 || percent > 100) {
                throw new IllegalArgumentException("percent must be 1-100: " + percent);
            }
        }

        @Override
        public boolean appliesTo(Sku sku) {
            return skus.contains(sku) || skus.contains(sku.baseSku());
        }

        @Override
        public Money discount(Money unitPrice, int quantity) {
            return unitPrice.times(quantity).times(BigDecimal.valueOf(percent, 2));
        }

        @Override
        public String label() {
            return percent + "% off";
        }
    }

    /**
     * "Buy X, get Y free": for every {@code buy + free} units, {@code free} units cost nothing.
     *
     * @param sku the SKU covered
     * @param buy the units that must be paid for
     * @param free the units given away per group
     */
    record BuyXGetY(Sku sku, int buy, int free) implements PricingRule {
        public BuyXGetY {
            if (buy < 1 || free < 1) {
                throw new IllegalArgumentException("buy and free must be positive");
            }
        }

        @Override
        public boolean appliesTo(Sku candidate) {
            return sku.equals(candidate);
        }

        @Override
        public Money discount(Money unitPrice, int quantity) {
            int groups = quantity / (buy + free);
            return unitPrice.times((long) groups * free);
        }

        @Override
        public String label() {
            return "buy " + buy + " get " + free + " free";
        }
    }

    /**
     * A fixed unit price that replaces the regular one when it is lower.
     *
     * @param sku the SKU covered
     * @param price the promotional unit price
     */
    record FixedPrice(Sku sku, Money price) implements PricingRule {
        @Override
        public boolean appliesTo(Sku candidate) {
            return sku.equals(candidate);
        }

        @Override
        public Money discount(Money unitPrice, int quantity) {
            Money saving = unitPrice.minus(price);
            return saving.isNegative() ? Money.zero(unitPrice.currency()) : saving.times(quantity);
        }

        @Override
        public String label() {
            return "now " + price;
        }
    }
}
