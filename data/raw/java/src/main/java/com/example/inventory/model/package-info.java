/**
 * The value types of the inventory domain: {@link com.example.inventory.model.Sku},
 * {@link com.example.inventory.model.Money}, {@link com.example.inventory.model.Product} and the
 * stock figures kept for each SKU.
 *
 * <p>Everything here is immutable except {@link com.example.inventory.model.Supplier}, which is
 * edited in the supplier administration screen.
 */
package com.example.inventory.model;
