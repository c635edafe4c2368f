package com.example.inventory.pricing;

import com.example.inventory.model.Money;
import com.example.inventory.model.Product;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Prices order lines: applies promotions under a {@link DiscountPolicy}, then adds tax.
 */
public class PriceCalculator {

    /**
     * The price of one order line, broken down for an invoice.
     *
     * @param product the product sold
     * @param quantity the units sold
     * @param gross the undiscounted total
     * @param discount the discount granted
     * @param tax the tax on the discounted total
     * @param appliedRules the labels of the rules that applied
     */
    public record LinePrice(Product product, int quantity, Money gross, Money discount, Money tax,
            List<String> appliedRules) {

        /**
         * Returns what the customer pays for the line.
         *
         * @return {@code gross - discount + tax}
         */
        public Money total() {
            return gross.minus(discount).plus(tax);
        }
    }

    private final List<PricingRule> rules;
    private final DiscountPolicy policy;
    private final String country;

    /**
     * Creates a calculator.
     *
     * @param rules the active promotions
     * @param policy how promotions combine
     * @param country the country whose tax rates apply
     */
    public PriceCalculator(List<PricingRule> rules, DiscountPolicy policy, String country) {
        this.rules = List.copyOf(rules);
        this.policy = Objects.requireNonNull(policy, "policy");
        this.country = country;
    }

    /**
     * Prices a line of {@code quantity} units of a product.
     *
     * @param product the product
     * @param quantity the units, positive
     * @return the price breakdown
     * @throws IllegalArgumentException if {@code quantity} is not positive
     */
    public LinePrice price(Product product, int quantity) {
        if (quantity <= 0) {
            throw new IllegalArgumentException("quantity must be positive: " + quantity);
        }
        Money gross = product.getUnitPrice().times(quantity);
        List<Money> discounts = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (PricingRule rule : rules) {
            if (rule.appliesTo(product.getSku())) {
                discounts.add(rule.discount(product.getUnitPrice(), quantity));
                labels.add(rule.label());
            }
        }
        Money discount = policy.combine(gross, discounts);
        BigDecimal rate = TaxRates.rateFor(country, product.getCategory());
        Money tax = gross.minus(discount).times(rate);
        return new LinePrice(product, quantity, gross, discount, tax, List.copyOf(labels));
    }

    /**
     * Computes the shipping charge for an order by its total weight and the customer's tier.
     *
     * @param weightKg the shipping weight in kilograms
     * @param tier the customer tier: {@code "gold"}, {@code "silver"} or anything else for standard
     * @param currency the currency to charge in
     * @return the shipping charge
     */
    public Money shipping(double weightKg, String tier, String currency) {
        long cents = switch (tier) {
            case "gold" -> 0;
            case "silver" -> weightKg > 20 ? 990 : 0;
            default -> {
                if (weightKg <= 2) {
                    yield 490;
                } else if (weightKg <= 10) {
                    yield 690;
                }
                yield 690 + (long) Math.ceil(weightKg - 10) * 45;
            }
        };
        return new Money(cents, currency);
    }

    /**
     * Sums the totals of several lines.
     *
     * @param lines the priced lines, all in one currency
     * @param currency the currency, used when {@code lines} is empty
     * @return the order total
     */
    public static Money orderTotal(List<LinePrice> lines, String currency) {
        return lines.stream().map(LinePrice::total).reduce(Money.zero(currency), Money::plus);
    }
}
