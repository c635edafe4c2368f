package com.example.inventory.util;

import java.util.Collection;

/**
 * Argument checks that throw with a helpful message. Each returns its argument so a check can be
 * written inline: {@code this.name = checkNotBlank(name, "name");}.
 */
public final class Preconditions {

    private Preconditions() {
    }

    /**
     * Checks that a reference is not {@code null}.
     *
     * @param <T> the reference type
     * @param value the reference
     * @param name the parameter name, for the message
     * @return {@code value}
     * @throws NullPointerException if {@code value} is {@code null}
     */
    public static <T> T checkNotNull(T value, String name) {
        if (value == null) {
            throw new NullPointerException(name + " must not be null");
        }
        return value;
    }

    /**
     * Checks that a string has visible characters.
     *
     * @param value the string
     * @param name the parameter name, for the message
     * @return {@code value}
     * @throws IllegalArgumentException if {@code value} is {@code null} or blank
     */
    public static String checkNotBlank(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
        return value;
    }

    /**
     * Checks a condition on an argument.
     *
     * @param condition the condition that must hold
     * @param messageTemplate the message, with {@code %s} placeholders for {@code args}
     * @param args the values for the placeholders
     * @throws IllegalArgumentException if {@code condition} is false
     */
    public static void checkArgument(boolean condition, String messageTemplate, Object... args) {
        if (!condition) {
            throw new IllegalArgumentException(String.format(messageTemplate, args));
        }
    }

    /**
     * Checks that a number lies in a closed range.
     *
     * @param value the number
     * @param min the smallest allowed value
     * @param max the largest allowed value
     * @param name the parameter name, for the message
     * @return {@code value}
     * @throws IllegalArgumentException if {@code value} is outside {@code [min, max]}
     */
    public static int checkInRange(int value, int min, int max, String name) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", was " + value);
        }
        return value;
    }

    /**
     * Checks that a collection is neither {@code null} nor empty.
     *
     * @param <C> the collection type
     * @param values the collection
     * @param name the parameter name, for the message
     * @return {@code values}
     * @throws IllegalArgumentException if the collection is {@code null} or empty
     */
    public static <C extends Collection<?>> C checkNotEmpty(C values, String name) {
        if (values == null || values.isEmpty()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        return values;
    }

    /**
     * Checks the state of an object rather than an argument.
     *
     * @param condition the condition that must hold
     * @param message the message if it does not
     * @throws IllegalStateException if {@code condition} is false
     */
    public static void checkState(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }
}
