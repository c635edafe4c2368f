package com.example.inventory.model;

import java.util.Comparator;

/**
 * A storage position in a warehouse: aisle, shelf and bin, written {@code A03-2-B}.
 *
 * @param aisle the aisle letter, {@code 'A'} to {@code 'Z'}
 * @param row the row number within the aisle, from 1
 * @param shelf the shelf level, 1 at the floor
 * @param bin the bin letter on the shelf
 */
public record Location(char aisle, int row, int shelf, char bin) implements Comparable<Location> {

    private static final Comparator<Location> ORDER = Comparator.comparing(Location::aisle)
            .thenComparingInt(Location::row)
            .thenComparingInt(Location::shelf)
            .thenComparing(Location::bin);

    /**
     * Checks the ranges of each part.
     *
     * @throws IllegalArgumentException if a part is out of range
     */
    public Location {
        if (aisle < 'A' || aisle > 'Z' || bin < 'A' || bin > 'Z') {
            throw new IllegalArgumentException("aisle and bin must be letters A-Z");
        }
        if (row < 1 || row > 99 || shelf < 1 || shelf > 9) {
            throw new IllegalArgumentException("row must be 1-99 and shelf 1-9");
        }
    }

    /**
     * Parses the printed form, for example {@code "A03-2-B"}.
     *
     * @param text the location label
     * @return the location
     * @throws IllegalArgumentException if the label is malformed
     */
    public static Location parse(String text) {
        String[] parts = text.trim().split("-");
        if (parts.length != 3 || parts[0].length() != 3 || parts[2].length() != 1) {
            throw new IllegalArgumentException("not a location label: " + text);
        }
        try {
            return new Location(parts[0].charAt(0), Integer.parseInt(parts[0].substring(1)),
                    Integer.parseInt(parts[1]), parts[2].charAt(0));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a location label: " + text, e);
        }
    }

    /**
     * Estimates the walking distance in metres between two locations, for pick-path planning.
     *
     * <p>Aisles are 4 m apart and rows 1.5 m; moving between aisles means walking back to the
     * cross aisle at row 0 first.
     *
     * @param other the other location
     * @return the approximate distance in metres
     */
    public double distanceTo(Location other) {
        if (aisle == other.aisle) {
            return Math.abs(row - other.row) * 1.5;
        }
        double toCrossAisle = (row + other.row) * 1.5;
        return toCrossAisle + Math.abs(aisle - other.aisle) * 4.0;
    }

    @Override
    public int compareTo(Location other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return String.format("%c%02d-%d-%c", aisle, row, shelf, bin);
    }
}
