package org.rlhf4j.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * UTF-8 bytes as tokens 0..255, plus four special tokens; needs no files and fits tiny models.
 *
 * <p>Ids: 0..255 the bytes, {@value #EOS} {@code <|endoftext|>}, {@value #PAD} {@code <|pad|>},
 * {@value #BOS} {@code <|bos|>}, {@value #SEP} {@code <|sep|>} (between prompt and response);
 * {@value #VOCAB_SIZE} in all. {@link #encode} reads special names as plain text (see
 * {@link Tokenizer}); a lone surrogate in the input becomes {@code '?'}, as in
 * {@link String#getBytes(java.nio.charset.Charset)}.
 */
public final class ByteTokenizer implements Tokenizer {

    /** Value of {@link #name()} and of the description's kind. */
    public static final String KIND = "byte";

    public static final int EOS = 256;
    public static final int PAD = 257;
    public static final int BOS = 258;
    public static final int SEP = 259;
    public static final int VOCAB_SIZE = 260;

    private static final List<String> SPECIAL_NAMES = List.of("<|endoftext|>", "<|pad|>", "<|bos|>", "<|sep|>");
    private static final Map<String, Integer> SPECIAL_TOKENS = Map.of(
            SPECIAL_NAMES.get(0), EOS, SPECIAL_NAMES.get(1), PAD, SPECIAL_NAMES.get(2), BOS, SPECIAL_NAMES.get(3), SEP);

    @Override
    public int[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xFF;
        }
        return ids;
    }

    @Override
    public String decode(int[] ids, int from, int to, Specials specials) {
        Objects.checkFromToIndex(from, to, ids.length);
        StringBuilder text = new StringBuilder(to - from);
        ByteArrayOutputStream pendingBytes = new ByteArrayOutputStream();
        for (int i = from; i < to; i++) {
            int id = checked(ids[i], i);
            if (id < 256) {
                pendingBytes.write(id);
            } else if (id != PAD) {
                // A special ends any byte sequence in progress: a character cut short by it is U+FFFD.
                flush(pendingBytes, text);
                if (specials == Specials.RENDER) {
                    text.append(SPECIAL_NAMES.get(id - 256));
                }
            }
        }
        flush(pendingBytes, text);
        return text.toString();
    }

    private static int checked(int id, int index) {
        if (id < 0 || id >= VOCAB_SIZE) {
            throw new IllegalArgumentException(
                    "token id " + id + " at index " + index + " is outside the byte vocabulary of " + VOCAB_SIZE);
        }
        return id;
    }

    @Override
    public byte[] bytes(int[] ids, int from, int to) {
        Objects.checkFromToIndex(from, to, ids.length);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(to - from);
        for (int i = from; i < to; i++) {
            int id = checked(ids[i], i);
            if (id < 256) {
                bytes.write(id);
            }
        }
        return bytes.toByteArray();
    }

    @Override
    public int vocabSize() {
        return VOCAB_SIZE;
    }

    @Override
    public int eosId() {
        return EOS;
    }

    @Override
    public int padId() {
        return PAD;
    }

    /** The id that starts a sequence. */
    public int bosId() {
        return BOS;
    }

    /** The id between a prompt and its response. */
    public int sepId() {
        return SEP;
    }

    @Override
    public String name() {
        return KIND;
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return SPECIAL_TOKENS;
    }

    @Override
    public Map<String, String> describe() {
        return Map.of(KIND_KEY, KIND, VOCAB_SIZE_KEY, Integer.toString(VOCAB_SIZE));
    }

    @Override
    public String toString() {
        return "ByteTokenizer";
    }

    private static void flush(ByteArrayOutputStream bytes, StringBuilder text) {
        if (bytes.size() > 0) {
            text.append(bytes.toString(StandardCharsets.UTF_8));
            bytes.reset();
        }
    }
}
