package com.example.inventory.io;

import com.example.inventory.model.Money;
import com.example.inventory.model.Product;
import com.example.inventory.model.StockLevel;
import java.util.List;
import java.util.Locale;

/**
 * Renders stock reports as plain text and as a small HTML page for e-mail.
 */
public class ReportFormatter {

    private static final String HTML_TEMPLATE = """
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8"><title>%s</title></head>
            <body>
              <h1>%s</h1>
              <table>
                <tr><th>SKU</th><th>Product</th><th>On hand</th><th>Available</th></tr>
            %s  </table>
            </body>
            </html>
            """;

    private static final String ROW_TEMPLATE = """
                <tr><td>%s</td><td>%s</td><td>%d</td><td>%d</td></tr>
            """;

    /**
     * A report row: a product and its stock.
     *
     * @param product the product
     * @param level its stock level
     */
    public record Row(Product product, StockLevel level) {
    }

    /**
     * Renders the rows as a fixed-width text table with a header and a total line.
     *
     * <pre>
     * SKU          Product                     On hand  Avail.
     * HW-00042     Claw hammer 450 g                12       9
     * </pre>
     *
     * @param rows the rows to render
     * @return the table, one line per row, ending with a line break
     */
    public String toText(List<Row> rows) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-12s %-26s %8s %7s%n", "SKU", "Product", "On hand", "Avail."));
        int onHand = 0;
        int available = 0;
        for (Row row : rows) {
            out.append(String.format(Locale.ROOT, "%-12s %-26s %8d %7d%n", row.product().getSku(),
                    truncate(row.product().getName(), 26), row.level().onHand(), row.level().available()));
            onHand += row.level().onHand();
            available += row.level().available();
        }
        out.append(String.format(Locale.ROOT, "%-39s %8d %7d%n", "Total", onHand, available));
        return out.toString();
    }

    /**
     * Renders the rows as an HTML page, escaping product names.
     *
     * @param title the page title and heading
     * @param rows the rows to render
     * @return the HTML document
     */
    public String toHtml(String title, List<Row> rows) {
        StringBuilder body = new StringBuilder();
        for (Row row : rows) {
            body.append(ROW_TEMPLATE.formatted(row.product().getSku(), escapeHtml(row.product().getName()),
                    row.level().onHand(), row.level().available()));
        }
        String safeTitle = escapeHtml(title);
        return HTML_TEMPLATE.formatted(safeTitle, safeTitle, body);
    }

    /**
     * Computes the value of the stock on hand at unit price.
     *
     * @param rows the rows to value, all priced in {@code currency}
     * @param currency the currency of the result
     * @return the total value
     */
    public Money stockValue(List<Row> rows, String currency) {
        Money total = Money.zero(currency);
        for (Row row : rows) {
            total = total.plus(row.product().getUnitPrice().times(row.level().onHand()));
        }
        return total;
    }

    /**
     * Escapes the five characters that are special in HTML text and attribute values.
     *
     * @param text the text to escape
     * @return the escaped text
     */
    static String escapeHtml(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static String truncate(String text, int width) {
        return text.length() <= width ? text : text.substring(0, width - 1) + "\u2026";
    }
}
