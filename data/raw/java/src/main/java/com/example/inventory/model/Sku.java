package com.example.inventory.model;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A stock keeping unit: the identifier under which a product is counted, priced and shipped.
 *
 * <p>A SKU has the form {@code CAT-NNNNN[-VARIANT]}, for example {@code HW-00042} or
 * {@code TX-01234-XL}. The category prefix is two or three upper-case letters, the number is
 * five digits, and the optional variant is up to four letters or digits. SKUs are compared
 * case-insensitively, so they are normalized to upper case on construction.
 *
 * @param value the normalized identifier text
 */
public record Sku(String value) implements Comparable<Sku> {

    private static final Pattern FORMAT = Pattern.compile("[A-Z]{2,3}-\\d{5}(-[A-Z0-9]{1,4})?");

    /**
     * Validates and normalizes the identifier.
     *
     * @throws NullPointerException if {@code value} is {@code null}
     * @throws IllegalArgumentException if {@code value} does not match {@code CAT-NNNNN[-VARIANT]}
     */
    public Sku {
        Objects.requireNonNull(value, "value");
        value = value.trim().toUpperCase(Locale.ROOT);
        if (!FORMAT.matcher(value).matches()) {
            throw new IllegalArgumentException("not a SKU: '" + value + "' (expected e.g. HW-00042)");
        }
    }

    /**
     * Parses a SKU, returning {@code null} instead of throwing when the text is not a valid SKU.
     *
     * <p>Useful when reading user input or legacy files where bad rows are skipped rather than
     * rejected.
     *
     * @param text the text to parse, may be {@code null}
     * @return the parsed SKU, or {@code null} if {@code text} is {@code null} or malformed
     */
    public static Sku tryParse(String text) {
        if (text == null) {
            return null;
        }
        String normalized = text.trim().toUpperCase(Locale.ROOT);
        return FORMAT.matcher(normalized).matches() ? new Sku(normalized) : null;
    }

    /**
     * Builds a SKU from its parts.
     *
     * <pre>{@code
     * Sku.of("hw", 42)        // HW-00042
     * Sku.of("tx", 1234, "xl") // TX-01234-XL
     * }</pre>
     *
     * @param category the category prefix, two or three letters
     * @param number the item number, between 0 and 99999
     * @param variant the variant suffix, or {@code null} for none
     * @return the SKU
     * @throws IllegalArgumentException if a part is out of range
     */
    public static Sku of(String category, int number, String variant) {
        if (number < 0 || number > 99_999) {
            throw new IllegalArgumentException("SKU number out of range: " + number);
        }
        String base = String.format(Locale.ROOT, "%s-%05d", category, number);
        return new Sku(variant == null ? base : base + "-" + variant);
    }

    /**
     * Builds a SKU without a variant.
     *
     * @param category the category prefix
     * @param number the item number
     * @return the SKU
     * @see #of(String, int, String)
     */
    public static Sku of(String category, int number) {
        return of(category, number, null);
    }

    /**
     * Returns the category prefix, the part before the first dash.
     *
     * @return the prefix, for example {@code "HW"}
     */
    public String categoryCode() {
        return value.substring(0, value.indexOf('-'));
    }

    /**
     * Returns the five-digit item number as an integer.
     *
     * @return the item number
     */
    public int number() {
        int start = value.indexOf('-') + 1;
        return Integer.parseInt(value.substring(start, start + 5));
    }

    /**
     * Tells whether this SKU names a variant of another product.
     *
     * @return {@code true} if the SKU has a variant suffix
     */
    public boolean isVariant() {
        return value.indexOf('-') != value.lastIndexOf('-');
    }

    /**
     * Returns the SKU of the base product, without the variant suffix.
     *
     * @return this SKU if it has no variant, otherwise the SKU with the suffix removed
     */
    public Sku baseSku() {
        return isVariant() ? new Sku(value.substring(0, value.lastIndexOf('-'))) : this;
    }

    @Override
    public int compareTo(Sku other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
