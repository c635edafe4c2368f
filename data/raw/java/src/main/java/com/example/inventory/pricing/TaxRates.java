package com.example.inventory.pricing;

import com.example.inventory.model.Category;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;

/**
 * Value-added tax rates by country. Rates are configured at start-up from the settings file.
 */
public class TaxRates {

    public static String DEFAULT_COUNTRY = "DE";

    public static Map<String, BigDecimal> STANDARD = new HashMap<>();

    public static Map<String, BigDecimal> REDUCED = new HashMap<>();

    static {
        STANDARD.put("DE", new BigDecimal("0.19"));
        STANDARD.put("FR", new BigDecimal("0.20"));
        STANDARD.put("NL", new BigDecimal("0.21"));
        REDUCED.put("DE", new BigDecimal("0.07"));
        REDUCED.put("FR", new BigDecimal("0.055"));
        REDUCED.put("NL", new BigDecimal("0.09"));
    }

    /**
     * Returns the tax rate for a category in a country.
     *
     * @param country the ISO 3166 country code, or {@code null} for {@link #DEFAULT_COUNTRY}
     * @param category the product category
     * @return the rate as a fraction, for example {@code 0.19}
     * @throws IllegalArgumentException if no rate is configured for the country
     */
    public static BigDecimal rateFor(String country, Category category) {
        String key = country == null ? DEFAULT_COUNTRY : country;
        Map<String, BigDecimal> table = category.isFullyTaxed() ? STANDARD : REDUCED;
        BigDecimal rate = table.get(key);
        if (rate == null) {
            throw new IllegalArgumentException("no tax rate configured for " + key);
        }
        return rate;
    }
}
