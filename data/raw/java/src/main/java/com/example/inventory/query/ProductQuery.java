package com.example.inventory.query;

import com.example.inventory.model.Category;
import com.example.inventory.model.Money;
import com.example.inventory.model.Product;
import com.example.inventory.util.Strings;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A search over products, built up fluently and then run against a list.
 *
 * <pre>{@code
 * Page<Product> page = ProductQuery.create()
 *         .text("hammer")
 *         .inCategories(Category.HARDWARE)
 *         .maxPrice(Money.parse("20.00 EUR"))
 *         .sortBy(ProductQuery.Sort.PRICE_ASCENDING)
 *         .run(repository.allProducts(), 0, 20);
 * }</pre>
 */
public final class ProductQuery {

    /** The orders results can be sorted in. */
    public enum Sort {
        NAME(Comparator.comparing(p -> p.getName().toLowerCase(Locale.ROOT))),
        PRICE_ASCENDING(Comparator.comparing(Product::getUnitPrice)),
        PRICE_DESCENDING(Comparator.comparing(Product::getUnitPrice).reversed()),
        SKU(Comparator.comparing(Product::getSku));

        private final Comparator<Product> comparator;

        Sort(Comparator<Product> comparator) {
            this.comparator = comparator;
        }

        Comparator<Product> comparator() {
            return comparator;
        }
    }

    private final List<Predicate<Product>> filters = new ArrayList<>();
    private Sort sort = Sort.SKU;
    private boolean includeDiscontinued;

    private ProductQuery() {
    }

    public static ProductQuery create() {
        return new ProductQuery();
    }

    /**
     * Keeps products whose name or any tag contains every word of {@code text}, ignoring case.
     *
     * @param text the words to look for; blank text matches everything
     * @return this query
     */
    public ProductQuery text(String text) {
        if (Strings.isBlank(text)) {
            return this;
        }
        String[] words = text.toLowerCase(Locale.ROOT).trim().split("\\s+");
        filters.add(p -> {
            String haystack = (p.getName() + " " + String.join(" ", p.getTags())).toLowerCase(Locale.ROOT);
            for (String word : words) {
                if (!haystack.contains(word)) {
                    return false;
                }
            }
            return true;
        });
        return this;
    }

    /**
     * Keeps products in any of the given categories.
     *
     * @param first a category
     * @param more further categories
     * @return this query
     */
    public ProductQuery inCategories(Category first, Category... more) {
        Set<Category> wanted = EnumSet.of(first, more);
        filters.add(p -> wanted.contains(p.getCategory()));
        return this;
    }

    /**
     * Keeps products whose unit price is at most {@code limit}.
     *
     * @param limit the highest price, inclusive
     * @return this query
     */
    public ProductQuery maxPrice(Money limit) {
        filters.add(p -> p.getUnitPrice().currency().equals(limit.currency())
                && p.getUnitPrice().compareTo(limit) <= 0);
        return this;
    }

    /**
     * Adds an arbitrary condition.
     *
     * @param condition the condition products must satisfy
     * @return this query
     */
    public ProductQuery where(Predicate<Product> condition) {
        filters.add(condition);
        return this;
    }

    public ProductQuery sortBy(Sort sort) {
        this.sort = sort;
        return this;
    }

    public ProductQuery includeDiscontinued(boolean include) {
        this.includeDiscontinued = include;
        return this;
    }

    /**
     * Tells whether one product matches every condition of the query.
     *
     * @param product the product to test
     * @return {@code true} if it matches
     */
    public boolean matches(Product product) {
        if (product.isDiscontinued() && !includeDiscontinued) {
            return false;
        }
        return filters.stream().allMatch(f -> f.test(product));
    }

    /**
     * Runs the query and returns one page of the sorted results.
     *
     * @param products the products to search
     * @param pageNumber the page wanted, from 0
     * @param pageSize the page size, positive
     * @return the page of matches
     */
    public Page<Product> run(List<Product> products, int pageNumber, int pageSize) {
        List<Product> matches = products.stream().filter(this::matches).sorted(sort.comparator()).toList();
        return Page.of(matches, pageNumber, pageSize);
    }

    /**
     * Suggests up to {@code limit} product names close to a search text that found nothing,
     * closest first.
     *
     * @param products the products to draw names from
     * @param text the text the user searched for
     * @param limit the maximum number of suggestions
     * @return the suggested names
     */
    public static List<String> didYouMean(List<Product> products, String text, int limit) {
        String needle = text.toLowerCase(Locale.ROOT);
        record Candidate(String name, int distance) {
        }
        return products.stream()
                .map(p -> new Candidate(p.getName(), Strings.editDistance(needle, p.getName().toLowerCase(Locale.ROOT))))
                .filter(c -> c.distance() <= Math.max(2, needle.length() / 3))
                .sorted(Comparator.comparingInt(Candidate::distance).thenComparing(Candidate::name))
                .limit(limit)
                .map(Candidate::name)
                .toList();
    }
}
