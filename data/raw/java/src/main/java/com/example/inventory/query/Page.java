package com.example.inventory.query;

import java.util.List;
import java.util.function.Function;

/**
 * One page of a longer result list.
 *
 * @param <T> the element type
 * @param items the elements on this page
 * @param pageNumber the page's number, from 0
 * @param pageSize the maximum number of elements per page
 * @param totalItems the number of elements over all pages
 */
public record Page<T>(List<T> items, int pageNumber, int pageSize, long totalItems) {

    /**
     * Copies the item list and checks the paging figures.
     *
     * @throws IllegalArgumentException if the page number is negative or the page size not positive
     */
    public Page {
        items = List.copyOf(items);
        if (pageNumber < 0 || pageSize <= 0) {
            throw new IllegalArgumentException("invalid page " + pageNumber + " of size " + pageSize);
        }
    }

    /**
     * Cuts one page out of a complete list.
     *
     * @param <T> the element type
     * @param all the complete list
     * @param pageNumber the page wanted, from 0
     * @param pageSize the page size, positive
     * @return the page; empty if {@code pageNumber} lies past the end
     */
    public static <T> Page<T> of(List<T> all, int pageNumber, int pageSize) {
        int from = (int) Math.min((long) pageNumber * pageSize, all.size());
        int to = Math.min(from + pageSize, all.size());
        return new Page<>(all.subList(from, to), pageNumber, pageSize, all.size());
    }

    /**
     * Returns the number of pages needed for all elements.
     *
     * @return the page count, at least 1
     */
    public int totalPages() {
        return (int) Math.max(1, (totalItems + pageSize - 1) / pageSize);
    }

    public boolean hasNext() {
        return pageNumber + 1 < totalPages();
    }

    /**
     * Transforms the elements of the page, keeping the paging figures.
     *
     * @param <U> the new element type
     * @param mapper the transformation
     * @return the transformed page
     */
    public <U> Page<U> map(Function<? super T, ? extends U> mapper) {
        return new Page<>(items.stream().<U>map(mapper).toList(), pageNumber, pageSize, totalItems);
    }
}
