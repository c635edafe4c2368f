package com.example.inventory.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.example.inventory.events.EventBus;
import com.example.inventory.events.InventoryEvent;
import com.example.inventory.model.Location;
import com.example.inventory.model.Money;
import com.example.inventory.model.Product;
import com.example.inventory.model.Sku;
import com.example.inventory.store.InMemoryInventoryRepository;
import com.example.inventory.store.StockLedger;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InventoryServiceTest {

    private static final Sku HAMMER = Sku.of("HW", 42);

    private InMemoryInventoryRepository repository;
    private StockLedger ledger;
    private final List<InventoryEvent> published = new ArrayList<>();
    private InventoryService service;

    @BeforeEach
    void setUp() {
        repository = new InMemoryInventoryRepository(5);
        repository.saveProduct(Product.builder(HAMMER).name("Claw hammer").unitPrice(Money.parse("14.90 EUR")).build());
        ledger = new StockLedger();
        EventBus<InventoryEvent> bus = new EventBus<>();
        bus.subscribe(InventoryEvent.class, EventBus.collectingInto(published));
        Clock clock = Clock.fixed(Instant.parse("2024-03-01T08:00:00Z"), ZoneOffset.UTC);
        service = new InventoryService(repository, ledger, bus, clock);
    }

    @Test
    void receivingBooksAndPublishes() {
        assertEquals(20, service.receive(HAMMER, 20, "SUP-1").onHand());
        assertEquals(20, ledger.balance(HAMMER));
        assertEquals(1, published.size());
    }

    @Test
    void countAdjustsByTheDifference() {
        service.receive(HAMMER, 20, "SUP-1");
        assertEquals(17, service.recordCount(HAMMER, 17).onHand());
        assertEquals(-3, published.get(1).quantityDelta());
    }

    @Test
    void unknownSkuIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> service.receive(Sku.of("HW", 1), 1, "SUP-1"));
    }

    @Test
    void pickRouteVisitsTheNearestLocationFirst() {
        Location far = Location.parse("C10-1-A");
        Location near = Location.parse("A02-1-A");
        assertEquals(List.of(near, far), InventoryService.pickRoute(List.of(far, near)));
    }
}
