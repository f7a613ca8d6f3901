package org.rlhf4j.model.tokenizer;

import java.util.List;
import java.util.Map;

/**
 * A byte-level BPE vocabulary as read from its source, before it is compiled for encoding.
 *
 * @param source where the tables came from (a file path or a resource), for error messages
 * @param vocab token text in {@link ByteLevelAlphabet} form to id; ids are exactly 0..size-1
 * @param merges merge rules, highest priority first
 */
record BpeTables(String source, Map<String, Integer> vocab, List<Merge> merges) {

    /** One merge rule, all ids: the adjacent tokens {@code left} and {@code right} become {@code merged}. */
    record Merge(int left, int right, int merged) {
    }

    BpeTables {
        vocab = Map.copyOf(vocab);
        merges = List.copyOf(merges);
        requireDenseIds(source, vocab);
    }

    // Dense ids let decoding index an array, and make a duplicate id show up as a gap.
    private static void requireDenseIds(String source, Map<String, Integer> vocab) {
        boolean[] seen = new boolean[vocab.size()];
        for (Map.Entry<String, Integer> entry : vocab.entrySet()) {
            int id = entry.getValue();
            if (id < 0 || id >= seen.length || seen[id]) {
                throw new TokenizerFileException(String.format(
                        "%s: expected each of the %d tokens to have its own id in 0..%d, but '%s' has id %d",
                        source, seen.length, seen.length - 1, entry.getKey(), id));
            }
            seen[id] = true;
        }
    }

    /** Token text by id; the inverse of {@link #vocab()}. */
    String[] tokensById() {
        String[] tokens = new String[vocab.size()];
        vocab.forEach((token, id) -> tokens[id] = token);
        return tokens;
    }
}
