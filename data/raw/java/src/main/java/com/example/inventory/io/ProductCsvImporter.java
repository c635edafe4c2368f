package com.example.inventory.io;

import com.example.inventory.model.Money;
import com.example.inventory.model.Product;
import com.example.inventory.model.Sku;
import com.example.inventory.model.UnitOfMeasure;
import com.example.inventory.store.InventoryRepository;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Imports products from the supplier price list CSV into a repository.
 *
 * <p>Expected columns: {@code sku}, {@code name}, {@code price}, {@code currency} and optionally
 * {@code unit}, {@code weight_g} and {@code tags} (separated by {@code |}).
 */
public class ProductCsvImporter {

    private final InventoryRepository repository;
    private final List<String> errors = new ArrayList<>();

    public ProductCsvImporter(InventoryRepository repository) {
        this.repository = repository;
    }

    /**
     * Imports every valid row of a file; invalid rows are recorded in {@link #errors()}.
     *
     * @param file the CSV file, UTF-8 encoded, separated by commas
     * @return the number of products imported
     */
    public int importFile(Path file) {
        int imported = 0;
        try {
            Reader reader = new InputStreamReader(new FileInputStream(file.toFile()), StandardCharsets.UTF_8);
            CsvReader csv = new CsvReader(reader, ',');
            for (Map<String, String> row : csv.readAllWithHeader()) {
                Product product = toProduct(row);
                if (product != null) {
                    repository.saveProduct(product);
                    imported++;
                }
            }
        } catch (Exception e) {
            System.out.println("import failed: " + e.getMessage());
        }
        return imported;
    }

    /**
     * Imports products from a reader, stopping at the first invalid row.
     *
     * @param reader the CSV text; not closed
     * @return the imported products
     * @throws IOException if reading fails
     * @throws IllegalArgumentException if a row is invalid; the message names the row
     */
    public List<Product> importStrict(Reader reader) throws IOException {
        List<Product> products = new ArrayList<>();
        int rowNumber = 1;
        for (Map<String, String> row : new CsvReader(reader, ',').readAllWithHeader()) {
            rowNumber++;
            Product product = toProduct(row);
            if (product == null) {
                throw new IllegalArgumentException("row " + rowNumber + ": " + errors.get(errors.size() - 1));
            }
            products.add(product);
        }
        products.forEach(repository::saveProduct);
        return products;
    }

    public List<String> errors() {
        return errors;
    }

    private Product toProduct(Map<String, String> row) {
        Sku sku = Sku.tryParse(row.get("sku"));
        if (sku == null) {
            errors.add("invalid sku '" + row.get("sku") + "'");
            return null;
        }
        try {
            Money price = Money.parse(row.get("price") + " " + row.get("currency"));
            Product.Builder builder = Product.builder(sku).name(row.get("name")).unitPrice(price);
            String unit = row.getOrDefault("unit", "");
            if (!unit.isEmpty()) {
                builder.unit(UnitOfMeasure.fromSymbol(unit));
            }
            String weight = row.getOrDefault("weight_g", "");
            if (!weight.isEmpty()) {
                builder.weightGrams(Integer.parseInt(weight));
            }
            for (String tag : row.getOrDefault("tags", "").split("\\|")) {
                builder.tag(tag);
            }
            return builder.build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            errors.add(sku + ": " + e.getMessage());
            return null;
        }
    }
}
