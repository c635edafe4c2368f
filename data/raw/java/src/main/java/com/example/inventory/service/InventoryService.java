package com.example.inventory.service;

import com.example.inventory.events.EventBus;
import com.example.inventory.events.InventoryEvent;
import com.example.inventory.model.Location;
import com.example.inventory.model.Money;
import com.example.inventory.model.Product;
import com.example.inventory.model.Sku;
import com.example.inventory.model.StockLevel;
import com.example.inventory.store.InMemoryInventoryRepository;
import com.example.inventory.store.StockLedger;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The entry point for warehouse operations: receiving, shipping and correcting stock. Every
 * change is booked in the {@link StockLedger} and published on the {@link EventBus}.
 */
public class InventoryService {

    private final InMemoryInventoryRepository repository;
    private final StockLedger ledger;
    private final EventBus<InventoryEvent> events;
    private final Clock clock;

    /**
     * Creates the service.
     *
     * @param repository where products and stock levels are kept
     * @param ledger where movements are booked
     * @param events where movements are published
     * @param clock the clock that timestamps events
     */
    public InventoryService(InMemoryInventoryRepository repository, StockLedger ledger,
            EventBus<InventoryEvent> events, Clock clock) {
        this.repository = repository;
        this.ledger = ledger;
        this.events = events;
        this.clock = clock;
    }

    /**
     * Books goods received from a supplier.
     *
     * @param sku the SKU received
     * @param quantity the units received, positive
     * @param supplierId the supplier who delivered
     * @return the new stock level
     * @throws IllegalArgumentException if the SKU is unknown or the quantity not positive
     */
    public StockLevel receive(Sku sku, int quantity, String supplierId) {
        requireKnown(sku);
        InventoryEvent event = new InventoryEvent.Received(sku, quantity, supplierId, clock.instant());
        return book(event, level -> level.adjust(quantity));
    }

    /**
     * Ships units that were reserved for an order.
     *
     * @param sku the SKU shipped
     * @param quantity the units shipped
     * @param orderId the order
     * @return the new stock level
     * @throws IllegalArgumentException if fewer units are reserved than shipped
     */
    public StockLevel ship(Sku sku, int quantity, String orderId) {
        requireKnown(sku);
        InventoryEvent event = new InventoryEvent.Shipped(sku, quantity, orderId, clock.instant());
        return book(event, level -> level.ship(quantity));
    }

    /**
     * Corrects the stock on hand after a count or a write-off.
     *
     * @param sku the SKU
     * @param delta the signed correction
     * @param reason why the correction is needed
     * @return the new stock level
     */
    public StockLevel adjust(Sku sku, int delta, InventoryEvent.Reason reason) {
        requireKnown(sku);
        InventoryEvent event = new InventoryEvent.Adjusted(sku, delta, reason, clock.instant());
        return book(event, level -> level.adjust(delta));
    }

    /**
     * Records a stock count: books an adjustment for the difference between the counted and the
     * recorded quantity, if there is one.
     *
     * @param sku the SKU counted
     * @param counted the units found on the shelf
     * @return the new stock level, or the unchanged one if the count matched
     */
    public StockLevel recordCount(Sku sku, int counted) {
        int difference = counted - repository.stockOf(sku).onHand();
        if (difference == 0) {
            return repository.stockOf(sku);
        }
        return adjust(sku, difference, InventoryEvent.Reason.STOCK_COUNT);
    }

    /**
     * Moves units between two storage locations. Stock on hand is unchanged; the move is booked
     * so pickers can find the goods.
     *
     * @param sku the SKU
     * @param quantity the units moved
     * @param from the source location
     * @param to the destination location
     */
    public void move(Sku sku, int quantity, Location from, Location to) {
        requireKnown(sku);
        InventoryEvent event = new InventoryEvent.Moved(sku, quantity, from, to, clock.instant());
        ledger.record(event);
        events.publish(event);
    }

    /**
     * Values the stock on hand of all products at unit price, per category.
     *
     * @param currency the currency to value in; products priced in another currency are skipped
     * @return the value per category, in category order
     */
    public Map<com.example.inventory.model.Category, Money> valuation(String currency) {
        Map<com.example.inventory.model.Category, Money> result =
                new EnumMap<>(com.example.inventory.model.Category.class);
        for (Product product : repository.allProducts()) {
            if (!product.getUnitPrice().currency().equals(currency)) {
                continue;
            }
            Money value = product.getUnitPrice().times(repository.stockOf(product.getSku()).onHand());
            result.merge(product.getCategory(), value, Money::plus);
        }
        return result;
    }

    /**
     * Returns the products with the least available stock relative to their reorder point.
     *
     * @param limit the maximum number of products
     * @return the products, most critical first
     */
    public List<Product> mostCritical(int limit) {
        return repository.allProducts().stream()
                .filter(p -> !p.isDiscontinued())
                .sorted(Comparator.comparingInt(p -> {
                    StockLevel level = repository.stockOf(p.getSku());
                    return level.available() - level.reorderPoint();
                }))
                .limit(limit)
                .collect(Collectors.toList());
    }

    /**
     * Orders pick locations into a walking route, starting at the location nearest to the dispatch
     * area at {@code A01-1-A} and always going to the nearest unvisited location next.
     *
     * @param stops the locations to visit
     * @return the locations in visiting order
     */
    public static List<Location> pickRoute(List<Location> stops) {
        class Walker {
            Location position = new Location('A', 1, 1, 'A');
            final List<Location> remaining = new ArrayList<>(stops);

            Location nextStop() {
                Location nearest = remaining.get(0);
                for (Location candidate : remaining) {
                    int closer = Double.compare(position.distanceTo(candidate), position.distanceTo(nearest));
                    if (closer < 0 || (closer == 0 && candidate.compareTo(nearest) < 0)) {
                        nearest = candidate;
                    }
                }
                remaining.remove(nearest);
                position = nearest;
                return nearest;
            }
        }
        Walker walker = new Walker();
        List<Location> route = new ArrayList<>(stops.size());
        while (!walker.remaining.isEmpty()) {
            route.add(walker.nextStop());
        }
        return route;
    }

    private StockLevel book(InventoryEvent event, java.util.function.UnaryOperator<StockLevel> change) {
        StockLevel updated = repository.update(event.sku(), change);
        ledger.record(event);
        events.publish(event);
        return updated;
    }

    private void requireKnown(Sku sku) {
        if (!repository.exists(sku)) {
            throw new IllegalArgumentException("unknown SKU " + sku);
        }
    }
}
