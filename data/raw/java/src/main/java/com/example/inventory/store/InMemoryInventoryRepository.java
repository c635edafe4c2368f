package com.example.inventory.store;

import com.example.inventory.model.Product;
import com.example.inventory.model.Sku;
import com.example.inventory.model.StockLevel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.UnaryOperator;

/**
 * An {@link InventoryRepository} backed by concurrent hash maps. Nothing survives a restart; use
 * it for tests, demos and as a cache in front of a database.
 */
public class InMemoryInventoryRepository implements InventoryRepository {

    private final ConcurrentMap<Sku, Product> products = new ConcurrentHashMap<>();
    private final ConcurrentMap<Sku, StockLevel> stock = new ConcurrentHashMap<>();
    private final int defaultReorderPoint;

    /**
     * Creates an empty repository.
     *
     * @param defaultReorderPoint the reorder point given to SKUs that have no stock level yet
     * @throws IllegalArgumentException if {@code defaultReorderPoint} is negative
     */
    public InMemoryInventoryRepository(int defaultReorderPoint) {
        if (defaultReorderPoint < 0) {
            throw new IllegalArgumentException("reorder point must not be negative");
        }
        this.defaultReorderPoint = defaultReorderPoint;
    }

    @Override
    public Optional<Product> findProduct(Sku sku) {
        return Optional.ofNullable(products.get(sku));
    }

    @Override
    public List<Product> allProducts() {
        List<Product> all = new ArrayList<>(products.values());
        all.sort((a, b) -> a.getSku().compareTo(b.getSku()));
        return Collections.unmodifiableList(all);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The stock level of the SKU is left as it is, so re-importing a price list does not reset
     * counts.
     */
    @Override
    public void saveProduct(Product product) {
        products.put(product.getSku(), product);
    }

    @Override
    public StockLevel stockOf(Sku sku) {
        return stock.getOrDefault(sku, StockLevel.empty(sku, defaultReorderPoint));
    }

    @Override
    public void saveStock(StockLevel level) {
        stock.put(level.sku(), level);
    }

    /**
     * Atomically replaces the stock level of a SKU with the result of {@code change}.
     *
     * <p>The function may be called more than once under contention, so it must be free of side
     * effects. If it throws, the stored level is left unchanged and the exception propagates.
     *
     * @param sku the SKU to update
     * @param change computes the new level from the current one
     * @return the new level
     */
    public StockLevel update(Sku sku, UnaryOperator<StockLevel> change) {
        return stock.compute(sku, (key, current) ->
                change.apply(current != null ? current : StockLevel.empty(key, defaultReorderPoint)));
    }

    /**
     * Removes a product and its stock level.
     *
     * @param sku the SKU to remove
     * @return {@code true} if a product was removed
     */
    public boolean remove(Sku sku) {
        stock.remove(sku);
        return products.remove(sku) != null;
    }

    public int size() {
        return products.size();
    }

    /** Removes every product and stock level. */
    public void clear() {
        products.clear();
        stock.clear();
    }
}
