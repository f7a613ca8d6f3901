package org.rlhf4j.model.tokenizer;

import java.util.Map;

/**
 * Turns text into token ids and back; one implementation per vocabulary.
 *
 * <p>{@link #encode} treats its input as plain text: a special token's name inside it, such as
 * {@code "<|endoftext|>"}, is encoded like any other characters, so user-supplied text can never
 * inject an end-of-sequence or separator. Code that means a special token appends its id
 * ({@link #eosId()}), or calls {@link #encodeWithSpecials} on text it trusts.
 *
 * <p>Implementations are immutable and safe to share between threads.
 */
public interface Tokenizer {

    /** Key of {@link #describe()} that names the implementation, as {@link #name()} does. */
    String KIND_KEY = "kind";

    /** Key of {@link #describe()} that records {@link #vocabSize()}, checked again on rebuild. */
    String VOCAB_SIZE_KEY = "vocab_size";

    /** How {@link #decode(int[], int, int, Specials)} writes special tokens. */
    enum Specials {
        /** Special tokens appear as their names; a pad that is not also EOS is left out. */
        RENDER,
        /** Special tokens are left out, leaving only the text. */
        SKIP
    }

    /** The ids of {@code text}, read as plain text (special token names are not recognised). */
    int[] encode(String text);

    /** Like {@link #encode}, but each special token name in {@code text} becomes that token's id. */
    default int[] encodeWithSpecials(String text) {
        Map<String, Integer> specials = specialTokens();
        IdBuffer ids = new IdBuffer(text.length());
        int start = 0;
        while (true) {
            String found = null;
            int foundAt = -1;
            for (String name : specials.keySet()) {
                int at = text.indexOf(name, start);
                boolean earlier = at >= 0 && (foundAt < 0 || at < foundAt);
                boolean longerAtSameSpot = at >= 0 && at == foundAt && name.length() > found.length();
                if (earlier || longerAtSameSpot) {
                    found = name;
                    foundAt = at;
                }
            }
            if (found == null) {
                break;
            }
            ids.addAll(encode(text.substring(start, foundAt)));
            ids.add(specials.get(found));
            start = foundAt + found.length();
        }
        ids.addAll(encode(text.substring(start)));
        return ids.toArray();
    }

    /**
     * The text of {@code ids[from..to)}. Byte sequences that are not valid UTF-8 become U+FFFD,
     * as Java's UTF-8 decoder does.
     *
     * @throws IllegalArgumentException if an id is outside the vocabulary
     */
    String decode(int[] ids, int from, int to, Specials specials);

    /**
     * The bytes {@code ids[from..to)} stand for, special tokens left out: what
     * {@link #decode(int[], int, int, Specials) decode(ids, from, to, SKIP)} decodes, before any
     * invalid sequence becomes U+FFFD. A byte-level tokenizer's ids need not end on a character
     * boundary, so these bytes need not be valid UTF-8; a strict decoder tells whether they are.
     *
     * @throws IllegalArgumentException if an id is outside the vocabulary
     */
    byte[] bytes(int[] ids, int from, int to);

    /** The text of {@code ids[from..to)}, special tokens rendered as their names. */
    default String decode(int[] ids, int from, int to) {
        return decode(ids, from, to, Specials.RENDER);
    }

    /** The text of all {@code ids}, special tokens rendered as their names. */
    default String decode(int[] ids) {
        return decode(ids, 0, ids.length, Specials.RENDER);
    }

    int vocabSize();

    /** The id that ends a sequence. */
    int eosId();

    /** The id that fills a batch row after its sequence ends; may equal {@link #eosId()}. */
    int padId();

    /** Short name of the implementation, for example {@code "byte"} or {@code "gpt2"}. */
    String name();

    /** Special token names and their ids. */
    Map<String, Integer> specialTokens();

    /**
     * A description to store in checkpoint metadata; {@link #fromDescription} rebuilds an
     * equivalent tokenizer from it. Always contains {@link #KIND_KEY} and {@link #VOCAB_SIZE_KEY}.
     */
    Map<String, String> describe();

    /**
     * A description in a few words for messages ({@code gpt2, learned, 2048 tokens, vocabulary
     * b86402a2befc}): a learned BPE's description holds every merge, far too long to print.
     */
    static String summary(Map<String, String> description) {
        StringBuilder s = new StringBuilder(description.getOrDefault(KIND_KEY, "unknown kind"));
        for (String key : new String[] {"source", VOCAB_SIZE_KEY, "vocab_sha256"}) {
            String value = description.get(key);
            if (value != null) {
                s.append(", ").append(key.equals(VOCAB_SIZE_KEY) ? value + " tokens"
                        : key.equals("vocab_sha256") ? "vocabulary " + value.substring(0,
                            Math.min(12, value.length())) : value);
            }
        }
        return s.toString();
    }

    /**
     * Rebuilds the tokenizer that wrote {@code description} via {@link #describe()}.
     *
     * @throws IllegalArgumentException if the kind is unknown, or the rebuilt tokenizer would not
     *     give the ids the description was written with
     */
    static Tokenizer fromDescription(Map<String, String> description) {
        String kind = description.get(KIND_KEY);
        Tokenizer tokenizer;
        if (ByteTokenizer.KIND.equals(kind)) {
            tokenizer = new ByteTokenizer();
        } else if (Gpt2Tokenizer.KIND.equals(kind)) {
            tokenizer = Gpt2Tokenizer.fromDescription(description);
        } else {
            throw new IllegalArgumentException("expected tokenizer kind '" + ByteTokenizer.KIND + "' or '"
                    + Gpt2Tokenizer.KIND + "' under key '" + KIND_KEY + "', got "
                    + (kind == null ? "no kind" : "'" + kind + "'"));
        }
        String vocabSize = description.get(VOCAB_SIZE_KEY);
        if (vocabSize != null && !vocabSize.equals(Integer.toString(tokenizer.vocabSize()))) {
            throw new IllegalArgumentException("expected a " + kind + " tokenizer with " + vocabSize
                    + " tokens as described by " + summary(description) + ", but rebuilding gives "
                    + tokenizer.vocabSize());
        }
        return tokenizer;
    }
}
