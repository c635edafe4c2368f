package com.example.inventory.pricing;

import com.example.inventory.model.Money;
import java.math.BigDecimal;

/**
 * How several applicable {@link PricingRule}s combine on one order line.
 */
public enum DiscountPolicy {

    /** Only the rule with the largest discount counts. */
    BEST_ONLY {
        @Override
        public Money combine(Money lineTotal, Iterable<Money> discounts) {
            Money best = Money.zero(lineTotal.currency());
            for (Money d : discounts) {
                if (d.compareTo(best) > 0) {
                    best = d;
                }
            }
            return cap(best, lineTotal);
        }
    },

    /** All discounts are added, up to the line total. */
    STACKED {
        @Override
        public Money combine(Money lineTotal, Iterable<Money> discounts) {
            Money sum = Money.zero(lineTotal.currency());
            for (Money d : discounts) {
                sum = sum.plus(d);
            }
            return cap(sum, lineTotal);
        }
    },

    /** No promotion applies; used for staff purchases and price-matched orders. */
    NONE {
        @Override
        public Money combine(Money lineTotal, Iterable<Money> discounts) {
            return Money.zero(lineTotal.currency());
        }
    };

    /**
     * Combines the discounts of the rules that apply to a line into one discount.
     *
     * @param lineTotal the undiscounted total of the line
     * @param discounts the discount of each applicable rule
     * @return the discount to grant, between zero and {@code lineTotal}
     */
    public abstract Money combine(Money lineTotal, Iterable<Money> discounts);

    /**
     * Returns the discount as a fraction of the line total, for reporting.
     *
     * @param lineTotal the undiscounted total, not zero
     * @param discount the discount granted
     * @return the fraction, for example {@code 0.15} for fifteen percent
     */
    public static BigDecimal rate(Money lineTotal, Money discount) {
        return discount.toDecimal().divide(lineTotal.toDecimal(), 4, java.math.RoundingMode.HALF_EVEN);
    }

    private static Money cap(Money discount, Money lineTotal) {
        return discount.compareTo(lineTotal) > 0 ? lineTotal : discount;
    }
}
