package com.example.inventory.util;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A bounded map that evicts the least recently used entry when full. Not thread-safe; wrap calls
 * in a lock when sharing an instance.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public class LruCache<K, V> {

    private final int capacity;
    private final LinkedHashMap<K, V> map;
    private long hits;
    private long misses;

    /**
     * Creates an empty cache.
     *
     * @param capacity the maximum number of entries, positive
     * @throws IllegalArgumentException if {@code capacity} is not positive
     */
    public LruCache(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.capacity = capacity;
        // Access order (the third argument) makes iteration order least- to most-recently used.
        this.map = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > LruCache.this.capacity;
            }
        };
    }

    /**
     * Looks up a key, marking it as recently used.
     *
     * @param key the key
     * @return the cached value, or empty on a miss
     */
    public Optional<V> get(K key) {
        V value = map.get(key);
        if (value == null) {
            misses++;
            return Optional.empty();
        }
        hits++;
        return Optional.of(value);
    }

    /**
     * Stores a value, evicting the least recently used entry if the cache is full.
     *
     * @param key the key
     * @param value the value, not {@code null}
     */
    public void put(K key, V value) {
        map.put(key, java.util.Objects.requireNonNull(value, "value"));
    }

    /**
     * Returns the cached value for a key, computing and storing it on a miss.
     *
     * @param key the key
     * @param loader computes the value on a miss; a {@code null} result is not cached
     * @return the cached or computed value, or {@code null} if the loader returned {@code null}
     */
    public V getOrLoad(K key, Function<? super K, ? extends V> loader) {
        Optional<V> cached = get(key);
        if (cached.isPresent()) {
            return cached.get();
        }
        V loaded = loader.apply(key);
        if (loaded != null) {
            put(key, loaded);
        }
        return loaded;
    }

    public void invalidate(K key) {
        map.remove(key);
    }

    public int size() {
        return map.size();
    }

    /**
     * Returns the fraction of lookups that were hits.
     *
     * @return the hit rate between 0 and 1, or 0 when nothing was looked up yet
     */
    public double hitRate() {
        long total = hits + misses;
        return total == 0 ? 0.0 : (double) hits / total;
    }
}
