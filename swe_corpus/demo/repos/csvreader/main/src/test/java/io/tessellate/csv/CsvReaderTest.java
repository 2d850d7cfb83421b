package io.tessellate.csv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class CsvReaderTest {

    @Test
    void splitsPlainFields() {
        assertEquals(List.of("a", "b", "c"), new CsvReader().parseLine("a,b,c"));
    }

    @Test
    void keepsCommasInsideQuotes() {
        assertEquals(List.of("a,b", "c"), new CsvReader().parseLine("\"a,b\",c"));
    }
}
