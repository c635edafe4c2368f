package com.example.inventory.util;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Summary statistics over collections, used for demand forecasting and reports.
 */
public final class Stats {

    private Stats() {
    }

    /**
     * Returns the largest element of a non-empty collection by natural order.
     *
     * @param <T> the element type
     * @param values the values
     * @return the maximum
     * @throws NoSuchElementException if {@code values} is empty
     */
    public static <T extends Comparable<? super T>> T max(Collection<? extends T> values) {
        if (values.isEmpty()) {
            throw new NoSuchElementException("max of an empty collection");
        }
        return Collections.max(values);
    }

    /**
     * Returns the median of some numbers: the middle value, or the mean of the two middle values
     * for an even count.
     *
     * @param values the numbers, not empty
     * @return the median
     * @throws IllegalArgumentException if {@code values} is empty
     */
    public static double median(Collection<? extends Number> values) {
        return percentile(values, 50);
    }

    /**
     * Returns a percentile using linear interpolation between closest ranks.
     *
     * @param values the numbers, not empty
     * @param p the percentile, between 0 and 100
     * @return the {@code p}-th percentile
     * @throws IllegalArgumentException if {@code values} is empty or {@code p} is out of range
     */
    public static double percentile(Collection<? extends Number> values, double p) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("percentile of an empty collection");
        }
        if (p < 0 || p > 100) {
            throw new IllegalArgumentException("p must be between 0 and 100: " + p);
        }
        List<Double> sorted = new ArrayList<>(values.size());
        for (Number n : values) {
            sorted.add(n.doubleValue());
        }
        sorted.sort(Comparator.naturalOrder());
        double rank = p / 100.0 * (sorted.size() - 1);
        int lower = (int) Math.floor(rank);
        int upper = (int) Math.ceil(rank);
        double fraction = rank - lower;
        return sorted.get(lower) + (sorted.get(upper) - sorted.get(lower)) * fraction;
    }

    /**
     * Returns the arithmetic mean.
     *
     * @param values the numbers
     * @return the mean, or {@code 0} for an empty collection
     */
    public static double mean(Collection<? extends Number> values) {
        double sum = 0;
        for (Number n : values) {
            sum += n.doubleValue();
        }
        return values.isEmpty() ? 0 : sum / values.size();
    }

    /**
     * Returns the sample standard deviation.
     *
     * @param values the numbers
     * @return the standard deviation, or {@code 0} for fewer than two values
     */
    public static double standardDeviation(Collection<? extends Number> values) {
        if (values.size() < 2) {
            return 0;
        }
        double mean = mean(values);
        double squares = 0;
        for (Number n : values) {
            double d = n.doubleValue() - mean;
            squares += d * d;
        }
        return Math.sqrt(squares / (values.size() - 1));
    }

    /**
     * Smooths a series with an exponential moving average.
     *
     * @param series the observations, oldest first
     * @param alpha the weight of each new observation, in {@code (0, 1]}
     * @return the smoothed series, same length as {@code series}
     * @throws IllegalArgumentException if {@code alpha} is out of range
     */
    public static double[] exponentialMovingAverage(double[] series, double alpha) {
        if (alpha <= 0 || alpha > 1) {
            throw new IllegalArgumentException("alpha must be in (0, 1]: " + alpha);
        }
        double[] out = new double[series.length];
        for (int i = 0; i < series.length; i++) {
            out[i] = i == 0 ? series[0] : alpha * series[i] + (1 - alpha) * out[i - 1];
        }
        return out;
    }
}
