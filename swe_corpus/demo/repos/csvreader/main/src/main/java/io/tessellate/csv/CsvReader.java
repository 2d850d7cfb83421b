package io.tessellate.csv;

import io.tessellate.csv.text.Quoting;
import java.util.ArrayList;
import java.util.List;

/** Splits CSV lines into fields (RFC 4180 quoting). */
public final class CsvReader {

    /** Parse one CSV line into its fields. */
    public List<String> parseLine(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean inQuotes = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == Quoting.QUOTE) {
                inQuotes = !inQuotes;
            } else if (c == Quoting.COMMA && !inQuotes) {
                fields.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        fields.add(current.toString());
        return fields;
    }
}
