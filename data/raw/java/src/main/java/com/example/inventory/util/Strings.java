package com.example.inventory.util;

import java.text.Normalizer;
import java.util.Iterator;
import java.util.Locale;

/**
 * Small string helpers used throughout the library.
 */
public final class Strings {

    private Strings() {
    }

    /**
     * Tells whether a string is {@code null}, empty or only whitespace.
     *
     * @param s the string to test
     * @return {@code true} if {@code s} has no visible characters
     */
    public static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    /**
     * Returns the string, or a fallback when it is blank.
     *
     * @param s the string
     * @param fallback returned when {@code s} is {@link #isBlank(String) blank}
     * @return {@code s} or {@code fallback}
     */
    public static String orDefault(String s, String fallback) {
        return isBlank(s) ? fallback : s;
    }

    /**
     * Shortens a string to at most {@code max} characters, ending with {@code "..."} when cut.
     *
     * <p>{@code truncate("warehouse", 7)} returns {@code "ware..."}.
     *
     * @param s the string
     * @param max the maximum length, at least 3
     * @return the string itself if short enough, otherwise its shortened form
     * @throws IllegalArgumentException if {@code max} is less than 3
     */
    public static String truncate(String s, int max) {
        if (max < 3) {
            throw new IllegalArgumentException("max must be at least 3: " + max);
        }
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }

    /**
     * Pads a string with spaces on the right to the given width.
     *
     * @param s the string
     * @param width the target width
     * @return the padded string; unchanged if already at least {@code width} long
     */
    public static String padRight(String s, int width) {
        if (s.length() >= width) {
            return s;
        }
        return s + " ".repeat(width - s.length());
    }

    /**
     * Pads a string with a character on the left to the given width.
     *
     * @param s the string
     * @param width the target width
     * @param pad the padding character
     * @return the padded string
     */
    public static String padLeft(String s, int width, char pad) {
        StringBuilder sb = new StringBuilder(width);
        for (int i = s.length(); i < width; i++) {
            sb.append(pad);
        }
        return sb.append(s).toString();
    }

    /**
     * Turns a product name into a URL slug: lower case ASCII letters, digits and single dashes.
     *
     * <pre>{@code
     * Strings.slugify("Crème Brûlée  Set (4 pcs)")  // "creme-brulee-set-4-pcs"
     * }</pre>
     *
     * @param s the text
     * @return the slug, possibly empty
     */
    public static String slugify(String s) {
        String ascii = Normalizer.normalize(s, Normalizer.Form.NFD).replaceAll("\\p{M}", "");
        String slug = ascii.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        return slug.replaceAll("^-|-$", "");
    }

    /**
     * Capitalizes the first letter of each word and lower-cases the rest.
     *
     * @param s the text
     * @return the text in title case
     */
    public static String titleCase(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean startOfWord = true;
        for (char c : s.toCharArray()) {
            if (Character.isWhitespace(c)) {
                startOfWord = true;
                out.append(c);
            } else if (startOfWord) {
                out.append(Character.toUpperCase(c));
                startOfWord = false;
            } else {
                out.append(Character.toLowerCase(c));
            }
        }
        return out.toString();
    }

    /**
     * Computes the Levenshtein edit distance between two strings, used to suggest the product the
     * user probably meant when a search finds nothing.
     *
     * <p>Runs in {@code O(a.length() * b.length())} time and {@code O(b.length())} space.
     *
     * @param a the first string
     * @param b the second string
     * @return the minimum number of single-character insertions, deletions and substitutions
     */
    public static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /**
     * Joins the string forms of some values with a separator, using {@code lastSeparator} before
     * the final value, as in {@code "a, b and c"}.
     *
     * @param values the values to join
     * @param separator placed between values
     * @param lastSeparator placed before the last value
     * @return the joined text; empty for no values
     */
    public static String joinNatural(Iterable<?> values, String separator, String lastSeparator) {
        StringBuilder out = new StringBuilder();
        Iterator<?> it = values.iterator();
        int index = 0;
        while (it.hasNext()) {
            Object value = it.next();
            if (index > 0) {
                out.append(it.hasNext() ? separator : lastSeparator);
            }
            out.append(value);
            index++;
        }
        return out.toString();
    }

    public static int countOccurrences(String s, char c) {
        int count = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == c) {
                count++;
            }
        }
        return count;
    }
}
