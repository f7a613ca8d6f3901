package org.rlhf4j.model.tokenizer;

/**
 * GPT-2's reversible map from the 256 byte values to printable characters ("bytes_to_unicode").
 *
 * <p>BPE files store tokens as text, so every byte needs a visible, unambiguous character.
 * Printable bytes ({@code '!'..'~'}, {@code '¡'..'¬'}, {@code '®'..'ÿ'}) stand for themselves;
 * the other 68 (controls, space, DEL, NBSP, soft hyphen) are given U+0100 + n in byte order,
 * which is why a space appears as {@code 'Ġ'} (U+0120) and a newline as {@code 'Ċ'} in the files.
 */
final class ByteLevelAlphabet {

    private static final int SHIFTED_BYTES = 68;
    private static final char[] CHAR_OF_BYTE = new char[256];
    private static final int[] BYTE_OF_CHAR = new int[256 + SHIFTED_BYTES];

    static {
        java.util.Arrays.fill(BYTE_OF_CHAR, -1);
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + shifted++);
            CHAR_OF_BYTE[b] = c;
            BYTE_OF_CHAR[c] = b;
        }
    }

    private ByteLevelAlphabet() {
    }

    /** The character that stands for byte {@code b} (0..255). */
    static char charOf(int b) {
        return CHAR_OF_BYTE[b];
    }

    /** The token text for raw bytes, one character per byte. */
    static String textOf(byte[] bytes) {
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = CHAR_OF_BYTE[bytes[i] & 0xFF];
        }
        return new String(chars);
    }

    /**
     * The raw bytes a token's text stands for.
     *
     * @throws IllegalArgumentException if a character is not one of the 256 in the alphabet
     */
    static byte[] bytesOf(String token) {
        byte[] bytes = new byte[token.length()];
        for (int i = 0; i < bytes.length; i++) {
            char c = token.charAt(i);
            int b = c < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[c] : -1;
            if (b < 0) {
                throw new IllegalArgumentException(String.format(
                        "token '%s' contains U+%04X, which is not one of GPT-2's 256 byte characters", token, (int) c));
            }
            bytes[i] = (byte) b;
        }
        return bytes;
    }
}
