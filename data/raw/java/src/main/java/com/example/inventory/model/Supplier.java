package com.example.inventory.model;

import java.util.ArrayList;
import java.util.List;

/**
 * A company that delivers stock, with its lead time and the SKUs it can supply.
 */
public class Supplier {

    private String id;
    private String name;
    private String country;
    private int leadTimeDays;
    private final List<Sku> catalog = new ArrayList<>();

    public Supplier(String id, String name, String country, int leadTimeDays) {
        this.id = id;
        this.name = name;
        this.country = country;
        this.leadTimeDays = leadTimeDays;
    }

    public String getId() {
        return id;
    }

    public void setId(String id) {
        this.id = id;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getCountry() {
        return country;
    }

    public int getLeadTimeDays() {
        return leadTimeDays;
    }

    public void setLeadTimeDays(int leadTimeDays) {
        this.leadTimeDays = leadTimeDays;
    }

    /**
     * Adds a SKU to the supplier's catalog.
     *
     * @param sku the SKU the supplier can deliver
     */
    public void addToCatalog(Sku sku) {
        if (!catalog.contains(sku)) {
            catalog.add(sku);
        }
    }

    /**
     * Tells whether the supplier can deliver the SKU or, for a variant, its base product.
     *
     * @param sku the SKU to check
     * @return {@code true} if the supplier's catalog covers it
     */
    public boolean supplies(Sku sku) {
        return catalog.contains(sku) || catalog.contains(sku.baseSku());
    }

    public List<Sku> getCatalog() {
        return catalog;
    }

    // Domestic suppliers are preferred because customs clearance adds unpredictable delay.
    public boolean isPreferred(String homeCountry) {
        return country == homeCountry && leadTimeDays < 10;
    }

    /**
     * Compares suppliers by id.
     *
     * @param o the object to compare with
     * @return {@code true} if {@code o} is a supplier with the same id
     */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Supplier)) {
            return false;
        }
        return id.equals(((Supplier) o).id);
    }

    @Override
    public String toString() {
        return name + " [" + id + ", " + country + ", " + leadTimeDays + "d]";
    }
}
