package com.example.inventory.store;

import com.example.inventory.events.InventoryEvent;
import com.example.inventory.model.Sku;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.TreeMap;

/**
 * A chronological record of stock movements per SKU, from which the balance at any point in time
 * can be computed.
 *
 * <p>Entries must be recorded in time order for each SKU; the ledger rejects an entry older than
 * the last one, because balances computed from an out-of-order ledger would be wrong.
 */
public class StockLedger implements Iterable<StockLedger.Entry> {

    private final TreeMap<Sku, List<Entry>> entries = new TreeMap<>();
    private int size;

    /**
     * One booked movement, with the running balance after it. Entries belong to their ledger.
     */
    public class Entry {
        private final InventoryEvent event;
        private final int balanceAfter;

        private Entry(InventoryEvent event, int balanceAfter) {
            this.event = event;
            this.balanceAfter = balanceAfter;
        }

        public InventoryEvent event() {
            return event;
        }

        public int balanceAfter() {
            return balanceAfter;
        }

        /**
         * Tells whether this entry is the latest one for its SKU in the owning ledger.
         *
         * @return {@code true} if no later entry exists for the SKU
         */
        public boolean isLatest() {
            List<Entry> list = entries.get(event.sku());
            return list.get(list.size() - 1) == this;
        }
    }

    /**
     * Books an event.
     *
     * @param event the movement to book
     * @return the new entry
     * @throws IllegalArgumentException if the event is older than the SKU's last entry, or would
     *     make the balance negative
     */
    public Entry record(InventoryEvent event) {
        List<Entry> list = entries.computeIfAbsent(event.sku(), k -> new ArrayList<>());
        int previous = 0;
        if (!list.isEmpty()) {
            Entry last = list.get(list.size() - 1);
            if (event.at().isBefore(last.event.at())) {
                throw new IllegalArgumentException("event at " + event.at() + " is older than the last entry for "
                        + event.sku() + " at " + last.event.at());
            }
            previous = last.balanceAfter;
        }
        int balance = previous + event.quantityDelta();
        if (balance < 0) {
            throw new IllegalArgumentException("balance of " + event.sku() + " would become " + balance);
        }
        Entry entry = new Entry(event, balance);
        list.add(entry);
        size++;
        return entry;
    }

    /**
     * Returns the current balance of a SKU.
     *
     * @param sku the SKU
     * @return the units on hand after the last entry, or zero if there is none
     */
    public int balance(Sku sku) {
        List<Entry> list = entries.get(sku);
        return list == null || list.isEmpty() ? 0 : list.get(list.size() - 1).balanceAfter;
    }

    /**
     * Returns the balance of a SKU as it was at an instant.
     *
     * <p>Uses binary search over the SKU's entries, so it runs in {@code O(log n)}.
     *
     * @param sku the SKU
     * @param when the instant; entries at exactly this instant are included
     * @return the balance at {@code when}
     */
    public int balanceAt(Sku sku, Instant when) {
        List<Entry> list = entries.getOrDefault(sku, List.of());
        int lo = 0;
        int hi = list.size() - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (list.get(mid).event.at().isAfter(when)) {
                hi = mid - 1;
            } else {
                found = mid;
                lo = mid + 1;
            }
        }
        return found < 0 ? 0 : list.get(found).balanceAfter;
    }

    /**
     * Returns the entries of one SKU, oldest first.
     *
     * @param sku the SKU
     * @return an unmodifiable view of its entries
     */
    public List<Entry> history(Sku sku) {
        return Collections.unmodifiableList(entries.getOrDefault(sku, List.of()));
    }

    public int size() {
        return size;
    }

    /**
     * Iterates over all entries, grouped by SKU in SKU order and oldest first within a SKU.
     *
     * @return an iterator that does not support removal
     */
    @Override
    public Iterator<Entry> iterator() {
        Iterator<List<Entry>> groups = entries.values().iterator();
        return new Iterator<>() {
            private Iterator<Entry> current = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext() && groups.hasNext()) {
                    current = groups.next().iterator();
                }
                return current.hasNext();
            }

            @Override
            public Entry next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return current.next();
            }
        };
    }
}
