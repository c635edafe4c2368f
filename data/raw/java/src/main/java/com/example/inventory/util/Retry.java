package com.example.inventory.util;

import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * Retries an operation that fails transiently, such as a call to the shipping carrier's API,
 * waiting longer after each failure.
 */
public final class Retry {

    private final int maxAttempts;
    private final long initialDelayMillis;
    private final Predicate<? super Exception> retryable;

    /**
     * Creates a retry policy.
     *
     * @param maxAttempts the total number of attempts, at least one
     * @param initialDelayMillis the wait after the first failure; doubled after each further one
     * @param retryable decides which failures are worth another attempt
     */
    public Retry(int maxAttempts, long initialDelayMillis, Predicate<? super Exception> retryable) {
        this.maxAttempts = Preconditions.checkInRange(maxAttempts, 1, 100, "maxAttempts");
        this.initialDelayMillis = initialDelayMillis;
        this.retryable = retryable;
    }

    /**
     * Runs the operation until it succeeds, fails with a non-retryable exception, or runs out of
     * attempts.
     *
     * @param <T> the result type
     * @param operation the operation to run
     * @return the operation's result
     * @throws Exception the last failure, if no attempt succeeded
     */
    public <T> T call(Callable<T> operation) throws Exception {
        long delay = initialDelayMillis;
        for (int attempt = 1; ; attempt++) {
            try {
                return operation.call();
            } catch (Exception e) {
                if (attempt >= maxAttempts || !retryable.test(e)) {
                    throw e;
                }
            }
            try {
                Thread.sleep(delay);
            } catch (InterruptedException ignored) {
            }
            delay = Math.min(delay * 2, 30_000);
        }
    }

    /**
     * Computes the total time spent waiting if every attempt fails, for timeouts and UI hints.
     *
     * @return the sum of all waits in milliseconds
     */
    public long worstCaseWaitMillis() {
        long total = 0;
        long delay = initialDelayMillis;
        for (int attempt = 1; attempt < maxAttempts; attempt++) {
            total += delay;
            delay = Math.min(delay * 2, 30_000);
        }
        return total;
    }
}
