package com.example.inventory.events;

import com.example.inventory.model.Location;
import com.example.inventory.model.Sku;
import java.io.BufferedReader;
import java.io.FileReader;
import java.io.FileWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Appends inventory events to a tab-separated journal file and reads them back, so stock levels
 * can be rebuilt after a restart.
 */
public class EventLog {

    private final Path file;

    public EventLog(Path file) {
        this.file = file;
    }

    /**
     * Appends one event as a line to the journal.
     *
     * @param event the event to record
     * @throws IOException if the journal cannot be written
     */
    public void append(InventoryEvent event) throws IOException {
        PrintWriter out = new PrintWriter(new FileWriter(file.toFile(), true));
        out.println(encode(event));
        out.close();
    }

    /**
     * Reads every event in the journal, skipping lines that cannot be decoded.
     *
     * @return the events in the order they were appended
     * @throws IOException if the journal cannot be read
     */
    public List<InventoryEvent> readAll() throws IOException {
        List<InventoryEvent> events = new ArrayList<>();
        BufferedReader in = new BufferedReader(new FileReader(file.toFile()));
        String line;
        while ((line = in.readLine()) != null) {
            try {
                events.add(decode(line));
            } catch (RuntimeException e) {
            }
        }
        return events;
    }

    /**
     * Encodes an event as one tab-separated line: kind, time, SKU, then the kind's own fields.
     *
     * @param event the event
     * @return the encoded line, without a line terminator
     */
    static String encode(InventoryEvent event) {
        String head = event.getClass().getSimpleName() + "\t" + event.at() + "\t" + event.sku();
        if (event instanceof InventoryEvent.Received r) {
            return head + "\t" + r.quantity() + "\t" + r.supplierId();
        } else if (event instanceof InventoryEvent.Shipped s) {
            return head + "\t" + s.quantity() + "\t" + s.orderId();
        } else if (event instanceof InventoryEvent.Adjusted a) {
            return head + "\t" + a.delta() + "\t" + a.reason();
        } else if (event instanceof InventoryEvent.Moved m) {
            return head + "\t" + m.quantity() + "\t" + m.from() + "\t" + m.to();
        }
        throw new IllegalStateException("unknown event " + event);
    }

    /**
     * Decodes a line written by {@link #encode(InventoryEvent)}.
     *
     * @param line the journal line
     * @return the event
     * @throws IllegalArgumentException if the line is malformed
     */
    static InventoryEvent decode(String line) {
        String[] f = line.split("\t");
        if (f.length < 5) {
            throw new IllegalArgumentException("truncated journal line: " + line);
        }
        Instant at = Instant.parse(f[1]);
        Sku sku = new Sku(f[2]);
        int quantity = Integer.parseInt(f[3]);
        return switch (f[0]) {
            case "Received" -> new InventoryEvent.Received(sku, quantity, f[4], at);
            case "Shipped" -> new InventoryEvent.Shipped(sku, quantity, f[4], at);
            case "Adjusted" -> new InventoryEvent.Adjusted(sku, quantity, InventoryEvent.Reason.valueOf(f[4]), at);
            case "Moved" -> {
                if (f.length < 6) {
                    throw new IllegalArgumentException("move without destination: " + line);
                }
                yield new InventoryEvent.Moved(sku, quantity, Location.parse(f[4]), Location.parse(f[5]), at);
            }
            default -> throw new IllegalArgumentException("unknown event kind: " + f[0]);
        };
    }
}
