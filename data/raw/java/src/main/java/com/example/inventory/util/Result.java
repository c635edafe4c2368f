package com.example.inventory.util;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The outcome of an operation that can fail in an expected way: either a value or an error
 * message. Used by bulk imports, where one bad row must not abort the rest.
 *
 * @param <T> the type of the value
 */
public sealed interface Result<T> permits Result.Ok, Result.Err {

    /**
     * A successful result.
     *
     * @param <T> the value type
     * @param value the value
     */
    record Ok<T>(T value) implements Result<T> {
        public Ok {
            Objects.requireNonNull(value, "value");
        }
    }

    /**
     * A failed result.
     *
     * @param <T> the value type the operation would have produced
     * @param error what went wrong, for the user
     */
    record Err<T>(String error) implements Result<T> {
    }

    static <T> Result<T> ok(T value) {
        return new Ok<>(value);
    }

    static <T> Result<T> err(String error) {
        return new Err<>(error);
    }

    /**
     * Runs a computation, turning an {@link IllegalArgumentException} into an error result.
     *
     * @param <T> the value type
     * @param computation the computation to run
     * @return the value, or the exception's message as an error
     */
    static <T> Result<T> attempt(Supplier<? extends T> computation) {
        try {
            return ok(computation.get());
        } catch (IllegalArgumentException e) {
            return err(e.getMessage());
        }
    }

    default boolean isOk() {
        return this instanceof Ok<T>;
    }

    /**
     * Transforms the value of a successful result; an error passes through unchanged.
     *
     * @param <U> the new value type
     * @param mapper the transformation
     * @return the transformed result
     */
    default <U> Result<U> map(Function<? super T, ? extends U> mapper) {
        if (this instanceof Ok<T> ok) {
            return new Ok<>(mapper.apply(ok.value()));
        }
        return new Err<>(((Err<T>) this).error());
    }

    /**
     * Chains an operation that can itself fail.
     *
     * @param <U> the new value type
     * @param next the next operation, called only on success
     * @return the next operation's result, or this error
     */
    default <U> Result<U> flatMap(Function<? super T, Result<U>> next) {
        if (this instanceof Ok<T> ok) {
            return next.apply(ok.value());
        }
        return new Err<>(((Err<T>) this).error());
    }

    /**
     * Returns the value, or a fallback on error.
     *
     * @param fallback the value to use on error
     * @return the value or {@code fallback}
     */
    default T orElse(T fallback) {
        return this instanceof Ok<T> ok ? ok.value() : fallback;
    }

    /**
     * Splits results into the values and the errors.
     *
     * @param <T> the value type
     * @param results the results to split
     * @param values receives the values, in order
     * @return the error messages, in order
     */
    static <T> List<String> partition(Iterable<Result<T>> results, List<? super T> values) {
        List<String> errors = new ArrayList<>();
        for (Result<T> result : results) {
            if (result instanceof Ok<T> ok) {
                values.add(ok.value());
            } else if (result instanceof Err<T> err) {
                errors.add(err.error());
            }
        }
        return errors;
    }
}
