package com.example.inventory.model;

/**
 * Units in which stock is counted, with the factor that converts a quantity to the base unit of
 * its dimension (pieces, grams or millilitres).
 */
public enum UnitOfMeasure {
    PIECE("pc", Dimension.COUNT, 1),
    DOZEN("dz", Dimension.COUNT, 12),
    GRAM("g", Dimension.MASS, 1),
    KILOGRAM("kg", Dimension.MASS, 1_000),
    MILLILITRE("ml", Dimension.VOLUME, 1),
    LITRE("l", Dimension.VOLUME, 1_000) {
        @Override
        public String format(long quantity) {
            // Litres read better with a decimal point than as a huge count of millilitres.
            return quantity % 1_000 == 0 ? (quantity / 1_000) + " l" : (quantity / 1000.0) + " l";
        }
    };

    /** The physical quantity a unit measures; only units of the same dimension convert. */
    public enum Dimension {
        COUNT, MASS, VOLUME
    }

    private final String symbol;
    private final Dimension dimension;
    private final long baseFactor;

    UnitOfMeasure(String symbol, Dimension dimension, long baseFactor) {
        this.symbol = symbol;
        this.dimension = dimension;
        this.baseFactor = baseFactor;
    }

    public String symbol() {
        return symbol;
    }

    public Dimension dimension() {
        return dimension;
    }

    /**
     * Converts a quantity in this unit to {@code target}.
     *
     * <p>Conversion to a larger unit truncates: 30 pieces are 2 dozen, not 2.5.
     *
     * @param quantity the quantity in this unit
     * @param target the unit to convert to
     * @return the quantity in {@code target} units, truncated toward zero
     * @throws IllegalArgumentException if the units measure different dimensions
     */
    public long convert(long quantity, UnitOfMeasure target) {
        if (dimension != target.dimension) {
            throw new IllegalArgumentException("cannot convert " + this + " to " + target);
        }
        return Math.multiplyExact(quantity, baseFactor) / target.baseFactor;
    }

    /**
     * Formats a quantity with this unit's symbol, for example {@code "3 kg"}.
     *
     * @param quantity the quantity in this unit
     * @return the formatted quantity
     */
    public String format(long quantity) {
        return quantity + " " + symbol;
    }

    /**
     * Looks a unit up by its symbol.
     *
     * @param symbol a symbol such as {@code "kg"}; matched exactly
     * @return the unit
     * @throws IllegalArgumentException if no unit has that symbol
     */
    public static UnitOfMeasure fromSymbol(String symbol) {
        for (UnitOfMeasure unit : values()) {
            if (unit.symbol.equals(symbol)) {
                return unit;
            }
        }
        throw new IllegalArgumentException("unknown unit symbol: " + symbol);
    }
}
