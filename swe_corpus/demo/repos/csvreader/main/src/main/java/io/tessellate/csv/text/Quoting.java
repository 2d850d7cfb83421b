package io.tessellate.csv.text;

/** Character constants and helpers for RFC 4180 quoting. */
public final class Quoting {
    public static final char QUOTE = '"';
    public static final char COMMA = ',';

    private Quoting() {}

    /** True when the field must be wrapped in quotes when written. */
    public static boolean needsQuotes(String field) {
        return field.indexOf(COMMA) >= 0 || field.indexOf(QUOTE) >= 0 || field.indexOf('\n') >= 0;
    }
}
