package org.rlhf4j.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;

/**
 * Learns a byte-level BPE vocabulary from texts, as GPT-2's was learned: pieces from the GPT-2
 * pre-tokenizer, 256 byte tokens, then repeatedly the most frequent adjacent pair becomes a token.
 *
 * <p>The result is deterministic: equal counts go to the pair of lower ids, and pieces are kept
 * in sorted order. Merges apply left to right without overlap, as {@link BytePairEncoder} applies
 * them, so encoding a training piece gives exactly the segmentation training ended with.
 */
final class BpeTrainer {

    private BpeTrainer() {
    }

    /**
     * At most {@code vocabSize} tokens: the 256 bytes, merges while a pair occurs at least twice,
     * and {@code endOfText} last.
     */
    static BpeTables learn(Iterable<String> texts, int vocabSize, String endOfText) {
        if (vocabSize < 257) {
            throw new IllegalArgumentException("a byte-level BPE needs at least 257 tokens (256 bytes and "
                    + endOfText + "), got " + vocabSize);
        }
        Map<String, Integer> pieceCounts = new TreeMap<>();
        for (String text : texts) {
            Matcher piece = Gpt2Tokenizer.PRE_TOKENIZER.matcher(text);
            while (piece.find()) {
                pieceCounts.merge(ByteLevelAlphabet.textOf(piece.group().getBytes(StandardCharsets.UTF_8)), 1,
                        Integer::sum);
            }
        }
        List<int[]> words = new ArrayList<>(pieceCounts.size());
        int[] counts = new int[pieceCounts.size()];
        for (Map.Entry<String, Integer> e : pieceCounts.entrySet()) {
            byte[] bytes = ByteLevelAlphabet.bytesOf(e.getKey());
            int[] ids = new int[bytes.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = bytes[i] & 0xFF;
            }
            counts[words.size()] = e.getValue();
            words.add(ids);
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevelAlphabet.charOf(b)), b);
            tokens.add(String.valueOf(ByteLevelAlphabet.charOf(b)));
        }
        PairCounts pairs = new PairCounts();
        for (int w = 0; w < words.size(); w++) {
            pairs.add(words.get(w), w, counts[w]);
        }
        List<BpeTables.Merge> merges = new ArrayList<>();
        int[] mergedAt = new int[words.size()];
        Arrays.fill(mergedAt, -1);
        while (vocab.size() < vocabSize - 1) {
            long best = pairs.best();
            if (best < 0) {
                break;
            }
            int left = (int) (best >>> 32);
            int right = (int) best;
            String text = tokens.get(left) + tokens.get(right);
            Integer merged = vocab.get(text);
            if (merged == null) {
                merged = tokens.size();
                vocab.put(text, merged);
                tokens.add(text);
            }
            merges.add(new BpeTables.Merge(left, right, merged));
            int[] candidates = pairs.wordsWith(best);
            for (int w : candidates) {
                int[] word = words.get(w);
                if (mergedAt[w] == merges.size() || !contains(word, left, right)) {
                    continue; // listed twice, or an earlier merge took the pair
                }
                mergedAt[w] = merges.size();
                pairs.add(word, w, -counts[w]);
                word = mergeAll(word, left, right, merged);
                pairs.add(word, w, counts[w]);
                words.set(w, word);
            }
        }
        vocab.put(endOfText, tokens.size());
        return new BpeTables("a BPE learned from texts", vocab, merges);
    }

    /**
     * The tables that replaying {@code merges} (each "left right" in {@link ByteLevelAlphabet} text,
     * as in merges.txt) over the 256 bytes builds, with {@code endOfText} last.
     *
     * @throws IllegalArgumentException if a merge names a token not built before it
     */
    static BpeTables replay(List<String> merges, String endOfText) {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevelAlphabet.charOf(b)), b);
        }
        List<BpeTables.Merge> rules = new ArrayList<>(merges.size());
        for (int i = 0; i < merges.size(); i++) {
            String[] parts = merges.get(i).split(" ", -1);
            Integer left = parts.length == 2 ? vocab.get(parts[0]) : null;
            Integer right = parts.length == 2 ? vocab.get(parts[1]) : null;
            if (left == null || right == null) {
                throw new IllegalArgumentException("merge " + (i + 1) + " '" + merges.get(i)
                        + "': expected two tokens built by earlier merges, separated by one space");
            }
            Integer merged = vocab.putIfAbsent(parts[0] + parts[1], vocab.size());
            rules.add(new BpeTables.Merge(left, right, merged != null ? merged : vocab.size() - 1));
        }
        vocab.put(endOfText, vocab.size());
        return new BpeTables("a BPE replayed from its merges", vocab, rules);
    }

    /**
     * How often each adjacent pair occurs (weighted by piece counts), which pieces hold it, and a
     * queue that finds the most frequent pair without scanning them all: an entry whose count has
     * changed since it was queued is skipped, and every pair whose count changed is queued again.
     */
    private static final class PairCounts {
        // most frequent first; equal counts go to the lower (left, right)
        private final PriorityQueue<long[]> queue = new PriorityQueue<>(
                Comparator.<long[]>comparingLong(e -> -e[0]).thenComparingLong(e -> e[1]));
        private final Map<Long, Long> counts = new HashMap<>();
        private final Map<Long, IdBuffer> words = new HashMap<>();
        private final Set<Long> changed = new HashSet<>();

        void add(int[] word, int w, int weight) {
            for (int i = 0; i + 1 < word.length; i++) {
                long key = ((long) word[i] << 32) | word[i + 1];
                long updated = counts.getOrDefault(key, 0L) + weight;
                if (updated == 0) {
                    counts.remove(key);
                } else {
                    counts.put(key, updated);
                }
                if (weight > 0) {
                    words.computeIfAbsent(key, k -> new IdBuffer(4)).add(w);
                }
                changed.add(key);
            }
        }

        /** The most frequent pair seen at least twice, or -1. */
        long best() {
            for (long key : changed) {
                long count = counts.getOrDefault(key, 0L);
                if (count > 0) {
                    queue.add(new long[] {count, key});
                }
            }
            changed.clear();
            while (!queue.isEmpty()) {
                long[] top = queue.peek();
                if (counts.getOrDefault(top[1], 0L) == top[0]) {
                    return top[0] >= 2 ? top[1] : -1;
                }
                queue.poll();
            }
            return -1;
        }

        /** The pieces the pair was ever added in (some may no longer hold it), then forgets them. */
        int[] wordsWith(long key) {
            IdBuffer list = words.remove(key);
            return list == null ? new int[0] : list.toArray();
        }
    }

    private static boolean contains(int[] word, int left, int right) {
        for (int i = 0; i + 1 < word.length; i++) {
            if (word[i] == left && word[i + 1] == right) {
                return true;
            }
        }
        return false;
    }

    private static int[] mergeAll(int[] word, int left, int right, int merged) {
        int[] out = new int[word.length];
        int n = 0;
        for (int i = 0; i < word.length; i++) {
            if (i + 1 < word.length && word[i] == left && word[i + 1] == right) {
                out[n++] = merged;
                i++;
            } else {
                out[n++] = word[i];
            }
        }
        return Arrays.copyOf(out, n);
    }
}
