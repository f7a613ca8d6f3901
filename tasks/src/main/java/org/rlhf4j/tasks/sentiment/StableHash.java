package org.rlhf4j.tasks.sentiment;

import java.nio.charset.StandardCharsets;

/**
 * A 64-bit hash of text that is fixed by this file alone (never by the JVM, the platform or
 * iteration order), so that splits and per-example choices made from it are reproducible anywhere.
 *
 * <p>Definition: FNV-1a (64-bit offset basis and prime) over the UTF-8 bytes of {@code salt}, one
 * zero byte, then the UTF-8 bytes of {@code text}; finished with MurmurHash3's {@code fmix64} so
 * that every bit, and so every remainder, depends on the whole input. The salt keeps decisions
 * that hash the same text (held-out or not, how many prompt words) independent of each other.
 * Changing anything here reshuffles the corpus split; the tests pin it.
 */
final class StableHash {

    private static final long FNV_OFFSET_BASIS = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private StableHash() {
    }

    /** The hash of {@code text} under {@code salt}. */
    static long of(String salt, String text) {
        long h = FNV_OFFSET_BASIS;
        h = mixIn(h, salt.getBytes(StandardCharsets.UTF_8));
        h = (h ^ 0) * FNV_PRIME;
        h = mixIn(h, text.getBytes(StandardCharsets.UTF_8));
        return fmix64(h);
    }

    /** {@code of(salt, text)} reduced to {@code [0, buckets)}, read as an unsigned number. */
    static int bucket(String salt, String text, int buckets) {
        if (buckets <= 0) {
            throw new IllegalArgumentException("buckets must be > 0, got " + buckets);
        }
        return (int) Long.remainderUnsigned(of(salt, text), buckets);
    }

    private static long mixIn(long h, byte[] bytes) {
        for (byte b : bytes) {
            h = (h ^ (b & 0xff)) * FNV_PRIME;
        }
        return h;
    }

    private static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }
}
