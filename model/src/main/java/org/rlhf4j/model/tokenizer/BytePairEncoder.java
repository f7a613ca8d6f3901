package org.rlhf4j.model.tokenizer;

import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Byte-level BPE compiled for encoding: starts a piece as one token per byte, then repeatedly
 * applies the highest-priority merge found among adjacent tokens, everywhere it occurs, as
 * GPT-2's {@code encoder.py} does.
 *
 * <p>Each pass costs one scan of the piece, and a piece needs one pass per distinct merge it uses:
 * cheap for words, quadratic for a long run of letters, so long pieces take a queue-based path
 * that gives the same result and is tested against the scan.
 */
final class BytePairEncoder {

    private static final int NO_MERGE = Integer.MAX_VALUE;
    private static final int REMOVED = -1;

    // Above this many bytes a piece is merged through a queue; below, scanning is cheaper.
    static final int LONG_PIECE = 64;

    private final int[] idOfByte = new int[256];
    private final byte[][] bytesOfId;
    private final Map<Long, Integer> rankOfPair;
    private final BpeTables.Merge[] mergeOfRank;

    BytePairEncoder(BpeTables tables) {
        String[] tokens = tables.tokensById();
        bytesOfId = new byte[tokens.length][];
        for (int id = 0; id < tokens.length; id++) {
            try {
                bytesOfId[id] = ByteLevelAlphabet.bytesOf(tokens[id]);
            } catch (IllegalArgumentException e) {
                throw new TokenizerFileException(tables.source() + ": " + e.getMessage(), e);
            }
        }
        for (int b = 0; b < 256; b++) {
            Integer id = tables.vocab().get(String.valueOf(ByteLevelAlphabet.charOf(b)));
            if (id == null) {
                throw new TokenizerFileException(String.format(
                        "%s: expected a token for every byte, but byte 0x%02X ('%c') has none",
                        tables.source(), b, ByteLevelAlphabet.charOf(b)));
            }
            idOfByte[b] = id;
        }
        mergeOfRank = tables.merges().toArray(new BpeTables.Merge[0]);
        rankOfPair = new HashMap<>(mergeOfRank.length * 2);
        for (int rank = 0; rank < mergeOfRank.length; rank++) {
            // A repeated rule can never fire after its first copy, so the first one keeps the pair.
            rankOfPair.putIfAbsent(pairKey(mergeOfRank[rank].left(), mergeOfRank[rank].right()), rank);
        }
    }

    int vocabSize() {
        return bytesOfId.length;
    }

    /** Appends the ids of one pre-tokenized piece, given as its UTF-8 bytes. */
    void encodePiece(byte[] piece, IdBuffer out) {
        int[] symbols = byteIds(piece);
        int length = symbols.length <= LONG_PIECE ? mergeByPasses(symbols) : mergeByQueue(symbols);
        for (int i = 0; i < length; i++) {
            out.add(symbols[i]);
        }
    }

    /** The starting symbols of a piece: one token per byte. */
    int[] byteIds(byte[] piece) {
        int[] symbols = new int[piece.length];
        for (int i = 0; i < piece.length; i++) {
            symbols[i] = idOfByte[piece[i] & 0xFF];
        }
        return symbols;
    }

    /**
     * The reference: each pass scans for the best-ranked pair and merges all its occurrences.
     * Returns the number of symbols left at the front of {@code symbols}.
     */
    int mergeByPasses(int[] symbols) {
        int length = symbols.length;
        while (length > 1) {
            int bestRank = lowestRank(symbols, length);
            if (bestRank == NO_MERGE) {
                break;
            }
            length = mergeAll(symbols, length, mergeOfRank[bestRank]);
        }
        return length;
    }

    /**
     * Same result as {@link #mergeByPasses} in O(n log n) rather than a scan per distinct merge,
     * which matters for long pieces such as a run of letters with no space.
     *
     * <p>Symbols form a linked list; candidate pairs wait in a queue ordered by (rank, position).
     * All candidates of the lowest rank are taken as one batch and merged left to right, skipping
     * any whose pair no longer exists: this is one pass of {@link #mergeByPasses}. Pairs formed by
     * the batch enter the queue for later batches, as the next pass would find them.
     */
    int mergeByQueue(int[] symbols) {
        int length = symbols.length;
        int[] next = new int[length];
        int[] previous = new int[length];
        PriorityQueue<Long> candidates = new PriorityQueue<>();
        for (int i = 0; i < length; i++) {
            next[i] = i + 1;
            previous[i] = i - 1;
            if (i + 1 < length) {
                offerCandidate(candidates, symbols, i, i + 1);
            }
        }
        IdBuffer batch = new IdBuffer(16);
        while (!candidates.isEmpty()) {
            int rank = (int) (candidates.peek() >>> 32);
            int[] positions = takeBatch(candidates, rank, batch);
            BpeTables.Merge merge = mergeOfRank[rank];
            for (int left : positions) {
                int right = next[left];
                if (symbols[left] != merge.left() || right >= length || symbols[right] != merge.right()) {
                    continue; // an earlier merge in this batch, or before it, took one of the two symbols
                }
                symbols[left] = merge.merged();
                symbols[right] = REMOVED;
                next[left] = next[right];
                if (next[left] < length) {
                    previous[next[left]] = left;
                    offerCandidate(candidates, symbols, left, next[left]);
                }
                if (previous[left] >= 0) {
                    offerCandidate(candidates, symbols, previous[left], left);
                }
            }
        }
        int kept = 0;
        for (int i = 0; i < length; i = next[i]) {
            symbols[kept++] = symbols[i];
        }
        return kept;
    }

    /**
     * The raw bytes a token stands for.
     *
     * @throws IllegalArgumentException if the id is outside the vocabulary
     */
    byte[] bytesOf(int id) {
        if (id < 0 || id >= bytesOfId.length) {
            throw new IllegalArgumentException(
                    "token id " + id + " is outside the vocabulary of " + bytesOfId.length + " tokens");
        }
        return bytesOfId[id];
    }

    private int lowestRank(int[] symbols, int length) {
        int best = NO_MERGE;
        for (int i = 0; i + 1 < length; i++) {
            Integer rank = rankOfPair.get(pairKey(symbols[i], symbols[i + 1]));
            if (rank != null && rank < best) {
                best = rank;
            }
        }
        return best;
    }

    // Left to right without overlap, so "l l l" under the rule "l l" becomes "ll l".
    private void offerCandidate(PriorityQueue<Long> candidates, int[] symbols, int left, int right) {
        Integer rank = rankOfPair.get(pairKey(symbols[left], symbols[right]));
        if (rank != null) {
            candidates.add(((long) rank << 32) | left);
        }
    }

    // Positions come out in increasing order, because the queue breaks rank ties by position.
    private static int[] takeBatch(PriorityQueue<Long> candidates, int rank, IdBuffer batch) {
        batch.clear();
        while (!candidates.isEmpty() && (int) (candidates.peek() >>> 32) == rank) {
            batch.add((int) (long) candidates.poll());
        }
        return batch.toArray();
    }

    private static int mergeAll(int[] symbols, int length, BpeTables.Merge merge) {
        int write = 0;
        int read = 0;
        while (read < length) {
            if (read + 1 < length && symbols[read] == merge.left() && symbols[read + 1] == merge.right()) {
                symbols[write++] = merge.merged();
                read += 2;
            } else {
                symbols[write++] = symbols[read++];
            }
        }
        return write;
    }

    private static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }
}
