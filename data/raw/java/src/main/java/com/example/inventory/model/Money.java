package com.example.inventory.model;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.Objects;

/**
 * An amount of money in a single currency, held as a whole number of minor units (cents).
 *
 * <p>Using {@code long} cents instead of {@code double} keeps sums exact: {@code 0.1 + 0.2}
 * is exactly {@code 0.30} here. Operations that would mix currencies throw
 * {@link IllegalArgumentException} rather than silently converting.
 *
 * @param cents the amount in minor units; may be negative (a refund or a credit)
 * @param currency the ISO 4217 currency code, for example {@code "EUR"}
 */
public record Money(long cents, String currency) implements Comparable<Money> {

    /**
     * Checks the currency code.
     *
     * @throws IllegalArgumentException if {@code currency} is not three upper-case letters
     */
    public Money {
        Objects.requireNonNull(currency, "currency");
        if (currency.length() != 3 || !currency.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
            throw new IllegalArgumentException("invalid currency code: " + currency);
        }
    }

    /**
     * Returns zero in the given currency.
     *
     * @param currency the ISO 4217 currency code
     * @return a zero amount
     */
    public static Money zero(String currency) {
        return new Money(0, currency);
    }

    /**
     * Creates an amount from a decimal number of major units, rounding half-even to cents.
     *
     * @param amount the amount, for example {@code new BigDecimal("19.99")}
     * @param currency the ISO 4217 currency code
     * @return the amount in cents
     * @throws ArithmeticException if the amount does not fit in a {@code long} number of cents
     */
    public static Money of(BigDecimal amount, String currency) {
        long cents = amount.setScale(2, RoundingMode.HALF_EVEN).movePointRight(2).longValueExact();
        return new Money(cents, currency);
    }

    /**
     * Parses text such as {@code "12.50 EUR"} or {@code "EUR 12.50"}.
     *
     * @param text the amount and currency separated by whitespace, in either order
     * @return the parsed amount
     * @throws IllegalArgumentException if the text has no amount or no currency code
     */
    public static Money parse(String text) {
        String[] parts = text.trim().split("\\s+");
        if (parts.length != 2) {
            throw new IllegalArgumentException("expected '<amount> <currency>': " + text);
        }
        boolean currencyFirst = Character.isLetter(parts[0].charAt(0));
        String amount = currencyFirst ? parts[1] : parts[0];
        String currency = currencyFirst ? parts[0] : parts[1];
        try {
            return of(new BigDecimal(amount), currency.toUpperCase(Locale.ROOT));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an amount: " + amount, e);
        }
    }

    /**
     * Adds another amount of the same currency.
     *
     * @param other the amount to add
     * @return the sum
     * @throws IllegalArgumentException if the currencies differ
     * @throws ArithmeticException if the sum overflows
     */
    public Money plus(Money other) {
        requireSameCurrency(other);
        return new Money(Math.addExact(cents, other.cents), currency);
    }

    /**
     * Subtracts another amount of the same currency.
     *
     * @param other the amount to subtract
     * @return the difference, negative if {@code other} is larger
     * @throws IllegalArgumentException if the currencies differ
     */
    public Money minus(Money other) {
        requireSameCurrency(other);
        return new Money(Math.subtractExact(cents, other.cents), currency);
    }

    /**
     * Multiplies the amount by a whole quantity, as when pricing several units of one item.
     *
     * @param quantity the number of units
     * @return the total
     * @throws ArithmeticException if the result overflows
     */
    public Money times(long quantity) {
        return new Money(Math.multiplyExact(cents, quantity), currency);
    }

    /**
     * Multiplies the amount by a decimal factor, rounding half-even to whole cents.
     *
     * <p>Use this for percentages and tax rates: {@code price.times(new BigDecimal("0.19"))}.
     *
     * @param factor the factor to apply
     * @return the scaled amount
     */
    public Money times(BigDecimal factor) {
        BigDecimal scaled = BigDecimal.valueOf(cents).multiply(factor).setScale(0, RoundingMode.HALF_EVEN);
        return new Money(scaled.longValueExact(), currency);
    }

    /**
     * Splits the amount into {@code parts} shares that differ by at most one cent and add up
     * exactly to this amount.
     *
     * <p>The first {@code cents % parts} shares receive the extra cent, so
     * {@code Money.parse("10.00 EUR").allocate(3)} yields {@code 3.34, 3.33, 3.33}.
     *
     * @param parts the number of shares, at least one
     * @return the shares, in order
     * @throws IllegalArgumentException if {@code parts} is less than one
     */
    public Money[] allocate(int parts) {
        if (parts < 1) {
            throw new IllegalArgumentException("parts must be positive: " + parts);
        }
        Money[] shares = new Money[parts];
        long base = cents / parts;
        long remainder = cents % parts;
        for (int i = 0; i < parts; i++) {
            shares[i] = new Money(base + (i < remainder ? 1 : 0), currency);
        }
        return shares;
    }

    /**
     * Returns the amount with the opposite sign.
     *
     * @return the negated amount
     */
    public Money negate() {
        return new Money(Math.negateExact(cents), currency);
    }

    /**
     * Returns the amount in major units as a {@code double}.
     *
     * @return the amount, for example {@code 12.5}
     * @deprecated binary floating point cannot represent most cent amounts exactly; use
     *     {@link #toDecimal()} instead. Kept for the old reporting module.
     */
    @Deprecated
    public double asDouble() {
        return cents / 100.0;
    }

    public boolean isZero() {
        return cents == 0;
    }

    public boolean isNegative() {
        return cents < 0;
    }

    /**
     * Returns the amount in major units as a decimal with two fraction digits.
     *
     * @return the amount, for example {@code 12.50}
     */
    public BigDecimal toDecimal() {
        return BigDecimal.valueOf(cents, 2);
    }

    /**
     * Compares two amounts of the same currency.
     *
     * @throws IllegalArgumentException if the currencies differ
     */
    @Override
    public int compareTo(Money other) {
        requireSameCurrency(other);
        return Long.compare(cents, other.cents);
    }

    @Override
    public String toString() {
        return toDecimal().toPlainString() + " " + currency;
    }

    private void requireSameCurrency(Money other) {
        if (!currency.equals(other.currency)) {
            throw new IllegalArgumentException("currency mismatch: " + currency + " vs " + other.currency);
        }
    }
}
