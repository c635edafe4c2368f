package com.example.inventory.io;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads comma-separated values as described by RFC 4180: fields may be quoted with {@code "},
 * quoted fields may contain commas, line breaks and doubled quotes ({@code ""}).
 *
 * <p>The reader does not close the underlying {@link Reader}; the caller owns it.
 */
public class CsvReader {

    private final BufferedReader in;
    private final char separator;
    private int lineNumber;

    /**
     * Creates a reader.
     *
     * @param in the text to read
     * @param separator the field separator, usually {@code ','} or {@code ';'}
     */
    public CsvReader(Reader in, char separator) {
        this.in = in instanceof BufferedReader b ? b : new BufferedReader(in);
        this.separator = separator;
    }

    /**
     * Reads the next record.
     *
     * @return the record's fields, or {@code null} at the end of the input
     * @throws IOException if reading fails
     * @throws IllegalStateException if the input ends inside a quoted field
     */
    public List<String> readRecord() throws IOException {
        String line = in.readLine();
        if (line == null) {
            return null;
        }
        lineNumber++;
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        int i = 0;
        while (true) {
            if (i == line.length()) {
                if (!quoted) {
                    break;
                }
                // A quoted field continues on the next physical line.
                String next = in.readLine();
                if (next == null) {
                    throw new IllegalStateException("unterminated quoted field at line " + lineNumber);
                }
                lineNumber++;
                field.append('\n');
                line = next;
                i = 0;
                continue;
            }
            char c = line.charAt(i++);
            if (quoted) {
                if (c == '"' && i < line.length() && line.charAt(i) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"' && field.length() == 0) {
                quoted = true;
            } else if (c == separator) {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }

    /**
     * Reads the remaining records as maps from header name to value, using the first record as the
     * header. Missing trailing fields map to the empty string.
     *
     * @return one map per data record, in input order
     * @throws IOException if reading fails
     * @throws IllegalArgumentException if the header repeats a column name
     */
    public List<Map<String, String>> readAllWithHeader() throws IOException {
        List<String> header = readRecord();
        List<Map<String, String>> rows = new ArrayList<>();
        if (header == null) {
            return rows;
        }
        if (header.stream().distinct().count() != header.size()) {
            throw new IllegalArgumentException("duplicate column in header: " + header);
        }
        List<String> record;
        while ((record = readRecord()) != null) {
            if (record.size() == 1 && record.get(0).isEmpty()) {
                continue;
            }
            Map<String, String> row = new HashMap<>();
            for (int c = 0; c < header.size(); c++) {
                row.put(header.get(c), c < record.size() ? record.get(c) : "");
            }
            rows.add(row);
        }
        return rows;
    }

    /**
     * Returns the number of the physical line read last, starting at 1.
     *
     * @return the line number, for error messages
     */
    public int lineNumber() {
        return lineNumber;
    }

    /**
     * Quotes a value for writing, if it needs quoting.
     *
     * @param value the value
     * @param separator the field separator in use
     * @return the value, quoted and with quotes doubled when it contains the separator, a quote or
     *     a line break
     */
    public static String quote(String value, char separator) {
        boolean needsQuotes = value.indexOf(separator) >= 0 || value.indexOf('"') >= 0
                || value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0;
        return needsQuotes ? '"' + value.replace("\"", "\"\"") + '"' : value;
    }
}
