package com.example.inventory.store;

import com.example.inventory.model.Product;
import com.example.inventory.model.Sku;
import com.example.inventory.model.StockLevel;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Stores products and their stock levels. Implementations must be safe for concurrent use.
 */
public interface InventoryRepository {

    /**
     * Finds a product by SKU.
     *
     * @param sku the SKU
     * @return the product, or empty if it is unknown
     */
    Optional<Product> findProduct(Sku sku);

    /**
     * Returns every product, in SKU order.
     *
     * @return the products; an unmodifiable snapshot
     */
    List<Product> allProducts();

    /**
     * Inserts a product or replaces the product with the same SKU.
     *
     * @param product the product to store
     */
    void saveProduct(Product product);

    /**
     * Returns the stock level of a SKU; unknown SKUs have an empty level.
     *
     * @param sku the SKU
     * @return the stock level, never {@code null}
     */
    StockLevel stockOf(Sku sku);

    /**
     * Stores a new stock level, replacing the previous one for its SKU.
     *
     * @param level the new level
     */
    void saveStock(StockLevel level);

    /**
     * Tells whether a product with the SKU exists.
     *
     * @param sku the SKU
     * @return {@code true} if {@link #findProduct(Sku)} would find it
     */
    default boolean exists(Sku sku) {
        return findProduct(sku).isPresent();
    }

    /**
     * Returns the products matching a condition, in SKU order.
     *
     * @param condition the condition to test
     * @return the matching products
     */
    default List<Product> findProducts(Predicate<? super Product> condition) {
        return allProducts().stream().filter(condition).collect(Collectors.toList());
    }

    /**
     * Returns the stock levels of several SKUs.
     *
     * @param skus the SKUs to look up
     * @return their stock levels, in the order given
     */
    default List<StockLevel> stockOf(Collection<Sku> skus) {
        return skus.stream().map(this::stockOf).toList();
    }

    /**
     * Returns the stock levels that have reached their reorder point, for active products only.
     *
     * @return the levels needing a purchase order, in SKU order
     */
    default List<StockLevel> belowReorderPoint() {
        return allProducts().stream()
                .filter(p -> !p.isDiscontinued())
                .map(p -> stockOf(p.getSku()))
                .filter(StockLevel::needsReorder)
                .toList();
    }

    /**
     * Creates an empty repository that keeps everything in memory.
     *
     * @return a new in-memory repository
     */
    static InventoryRepository inMemory() {
        return new InMemoryInventoryRepository(10);
    }
}
