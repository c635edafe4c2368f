package com.example.inventory.service;

import com.example.inventory.model.Category;
import com.example.inventory.model.Product;
import com.example.inventory.model.StockLevel;
import com.example.inventory.model.Supplier;
import com.example.inventory.store.InventoryRepository;
import com.example.inventory.util.Stats;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Decides what to order from which supplier, based on stock levels, recent demand and supplier
 * lead times.
 */
public class ReorderPlanner {

    /**
     * A proposed purchase order line.
     *
     * @param product the product to order
     * @param supplier the supplier to order from
     * @param quantity the units to order
     * @param urgent whether stock is expected to run out before the delivery arrives
     */
    public record Proposal(Product product, Supplier supplier, int quantity, boolean urgent) {
    }

    private final InventoryRepository repository;
    private final List<Supplier> suppliers;

    public ReorderPlanner(InventoryRepository repository, List<Supplier> suppliers) {
        this.repository = repository;
        this.suppliers = List.copyOf(suppliers);
    }

    /**
     * Computes the safety stock for a product: the units that cover demand variability during the
     * supplier's lead time at a 95% service level.
     *
     * @param dailyDemand recent daily unit sales, oldest first
     * @param leadTimeDays the supplier's lead time in days
     * @return the safety stock in units, rounded up
     */
    public static int safetyStock(List<Integer> dailyDemand, int leadTimeDays) {
        // 1.65 is the z-score of the 95th percentile of the normal distribution.
        double sigma = Stats.standardDeviation(dailyDemand);
        return (int) Math.ceil(1.65 * sigma * Math.sqrt(leadTimeDays));
    }

    /**
     * Plans the purchase orders for today.
     *
     * <p>For each active product that is at its reorder point or has recent sales:
     * <ul>
     *   <li>the supplier is the domestic one with the shortest lead time, else the foreign one with
     *       the shortest lead time;</li>
     *   <li>the order covers expected use during the lead time, the safety stock and two more weeks
     *       of demand;</li>
     *   <li>perishable goods are capped at what can be sold before they expire.</li>
     * </ul>
     *
     * @param demandHistory recent daily unit sales per SKU value, oldest first
     * @param today the planning date
     * @param homeCountry the warehouse's country, to prefer domestic suppliers
     * @return the proposals, urgent ones first, then by SKU
     */
    public List<Proposal> plan(Map<String, List<Integer>> demandHistory, LocalDate today, String homeCountry) {
        List<Proposal> proposals = new ArrayList<>();
        for (Product product : repository.allProducts()) {
            if (!product.isDiscontinued()) {
                StockLevel level = repository.stockOf(product.getSku());
                List<Integer> demand = demandHistory.getOrDefault(product.getSku().value(), List.of());
                if (level.needsReorder() || !demand.isEmpty()) {
                    double daily = demand.isEmpty() ? 0 : Stats.mean(demand);
                    Supplier best = null;
                    for (Supplier s : suppliers) {
                        if (s.supplies(product.getSku())) {
                            if (best == null) {
                                best = s;
                            } else {
                                if (s.isPreferred(homeCountry) && !best.isPreferred(homeCountry)) {
                                    best = s;
                                } else if (s.isPreferred(homeCountry) == best.isPreferred(homeCountry)) {
                                    if (s.getLeadTimeDays() < best.getLeadTimeDays()) {
                                        best = s;
                                    }
                                }
                            }
                        }
                    }
                    if (best != null) {
                        int lead = best.getLeadTimeDays();
                        if (today.getDayOfWeek() == DayOfWeek.FRIDAY || today.getDayOfWeek() == DayOfWeek.SATURDAY) {
                            lead += 2;
                        }
                        int safety = demand.size() >= 7 ? safetyStock(demand, lead) : level.reorderPoint();
                        double expectedUse = daily * lead;
                        int target = (int) Math.ceil(expectedUse + safety + daily * 14);
                        int quantity = target - level.available();
                        if (quantity > 0) {
                            if (product.getCategory() == Category.FOOD) {
                                int maxByShelfLife = (int) Math.floor(daily * (product.getCategory().shelfLifeDays() - lead));
                                if (maxByShelfLife <= 0) {
                                    continue;
                                }
                                quantity = Math.min(quantity, maxByShelfLife);
                            }
                            if (quantity < 12 && product.getUnitPrice().cents() < 500) {
                                quantity = 12;
                            } else if (quantity > 12) {
                                quantity = ((quantity + 5) / 6) * 6;
                            }
                            boolean urgent = level.available() < expectedUse;
                            proposals.add(new Proposal(product, best, quantity, urgent));
                        }
                    }
                }
            }
        }
        proposals.sort(Comparator.comparing((Proposal p) -> !p.urgent())
                .thenComparing(p -> p.product().getSku()));
        return proposals;
    }

    /**
     * Sums the cost of all proposals per supplier, to check against credit limits before sending.
     *
     * @param proposals the proposals
     * @return the total cost in cents per supplier id
     */
    public static Map<String, Long> costBySupplier(List<Proposal> proposals) {
        Map<String, Long> totals = new java.util.TreeMap<>();
        for (Proposal p : proposals) {
            long cost = p.product().getUnitPrice().times(p.quantity()).cents();
            totals.merge(p.supplier().getId(), cost, Long::sum);
        }
        return totals;
    }
}
