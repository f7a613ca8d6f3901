package org.rlhf4j.tasks.sentiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StableHashTest {

    /** FNV-1a then fmix64 as documented, computed independently (in Python) for these inputs. */
    private static final long PINNED_EMPTY = -5115162479779449349L;
    private static final long PINNED_TEXT = 5183026337961216924L;

    @Test
    void valuesArePinned() {
        assertEquals(PINNED_EMPTY, StableHash.of("", ""));
        assertEquals(PINNED_TEXT, StableHash.of("salt", "the book was good"));
    }

    @Test
    void theSaltSeparatesDecisions() {
        assertNotEquals(StableHash.of("a", "text"), StableHash.of("b", "text"));
        assertNotEquals(StableHash.of("ab", "c"), StableHash.of("a", "bc"));
    }

    @Test
    void bucketsAreEvenlyFilled() {
        int[] counts = new int[10];
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            counts[StableHash.bucket("s", "text " + i, 10)]++;
        }
        for (int count : counts) {
            assertTrue(Math.abs(count - n / 10) < 500, "bucket count " + count);
        }
        assertThrows(IllegalArgumentException.class, () -> StableHash.bucket("s", "t", 0));
    }
}
