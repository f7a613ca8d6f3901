package org.rlhf4j.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A fixed corpus touching every case GPT-2's pre-tokenizer treats differently, for comparing tokenizers. */
final class TokenizerTestTexts {

    static final List<String> HANDWRITTEN = List.of(
            // English and spacing
            "Hello world", "hello world", "The quick brown fox jumps over the lazy dog.", " the", "the", "THE END",
            "a", "", " ", "  ", "   leading spaces", "trailing spaces   ", "multiple   spaces   between",
            "tab\tseparated\tvalues", "line one\nline two\n", "\n\n\n", "windows\r\nnewlines\r\n", " \n ",
            "mixed \t \n whitespace", "\t\tindented", "end with newline\n",
            // contractions and quotes
            "I'm", "you're", "we've", "they'll", "he'd", "it's", "don't", "can't", "Y'ALL'RE", "'s", "'ll've",
            "rock'n'roll", "O'Neil's", "\u2018curly\u2019 quotes", "\u201cdouble\u201d", "it\u2019s",
            // numbers
            "0", "42", "3.14159", "1,000,000", "2024-07-19", "12345678901234567890", "x2 y3 z10", "\u216b \u00bd \u0663 \u0969",
            "+1 (555) 123-4567", "v1.2.3-beta", "1e-9",
            // punctuation and symbols
            "!!!", "...", "?!?!", "Hello, world!", "(parens) [brackets] {braces}", "a--b", "@user #tag $5 %20 ^ & * ~",
            "\"quoted\"", "semi;colon:", "back\\slash/forward", "\u00a9 \u2122 \u00b0C \u20ac100 \u2192 \u2264",
            // accents and other scripts
            "caf\u00e9", "na\u00efve r\u00e9sum\u00e9", "\u00c5ngstr\u00f6m", "Stra\u00dfe", "\u00dcber", "\u00e7a va? tr\u00e8s bien",
            "e\u0301 combining", "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac", "\u0420\u0443\u0441\u0441\u043a\u0438\u0439 \u0442\u0435\u043a\u0441\u0442",
            "\u05e2\u05d1\u05e8\u05d9\u05ea", "\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "\u0939\u093f\u0928\u094d\u0926\u0940", "\u0e44\u0e17\u0e22",
            // CJK
            "\u4f60\u597d\uff0c\u4e16\u754c", "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8", "\ud55c\uad6d\uc5b4 \ubb38\uc7a5",
            "\u4e2d\u6587 English mixed", "\ud840\udc0b rare CJK",
            // emoji
            "\ud83d\ude00", "\ud83d\udc4d\ud83c\udffd", "\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67\u200d\ud83d\udc66",
            "\ud83c\uddfa\ud83c\uddf8\ud83c\uddef\ud83c\uddf5", "I \u2764\ufe0f Java", "\ud83d\udd25\ud83d\udd25\ud83d\udd25 fire",
            // code
            "public static void main(String[] args) {", "    return x + y;\n}", "def f(x):\n\treturn x**2",
            "for (int i = 0; i < n; i++) { sum += a[i]; }", "<html><body>hi</body></html>",
            "SELECT * FROM users WHERE id = 1;", "https://example.com/path?q=1&r=2", "x_1 = y_2 // comment",
            "#include <stdio.h>", "{\"key\": [1, 2, 3]}", "if x != None and y >= 0:\n    pass\n",
            // special-token names and odd characters
            "<|endoftext|>", "text<|endoftext|>more", "<|pad|>", "\u00a0nbsp", "ideographic\u3000space",
            "zero\u200bwidth", "\u2028line separator", "soft\u00adhyphen", "\u0000\u0001\u007f controls", "\u0085next line",
            "\ufeffbom", "\ufffd replacement",
            // long runs
            "a".repeat(500), " ".repeat(100) + "x", "ab".repeat(300), "1234567890".repeat(20), "\n".repeat(40),
            "!?".repeat(100));

    private static final String[] SEPARATORS = {" ", "\n", "", "  ", "\t", ". "};

    private static final int[] RANDOM_CODE_POINTS = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
            + "      \n\n\t'''.,;:!?-_()[]{}\"/\\@#$%&*+=<>|~`^"
            + "\u00e9\u00e8\u00fc\u00df\u00f1\u00c7\u00a0\u3000\u4e2d\u65e5\u672c\ud55c\u0416\u03bb\u0639\u0939\u00bd\u0663")
            .codePoints().toArray();

    private static final int[] EMOJI = {0x1F600, 0x1F44D, 0x1F525, 0x2764, 0x1F1FA, 0x200D, 0xFE0F};

    private TokenizerTestTexts() {
    }

    /** The handwritten texts, pairs of them joined by varied separators, and seeded random texts. */
    static List<String> all() {
        List<String> texts = new ArrayList<>(HANDWRITTEN);
        int n = HANDWRITTEN.size();
        for (int i = 0; i < n; i++) {
            texts.add(HANDWRITTEN.get(i) + SEPARATORS[i % SEPARATORS.length] + HANDWRITTEN.get((i * 7 + 3) % n));
        }
        Random random = new Random(20240719);
        for (int i = 0; i < 150; i++) {
            StringBuilder text = new StringBuilder();
            int length = 1 + random.nextInt(40);
            for (int j = 0; j < length; j++) {
                boolean emoji = random.nextInt(12) == 0;
                text.appendCodePoint(emoji ? EMOJI[random.nextInt(EMOJI.length)]
                        : RANDOM_CODE_POINTS[random.nextInt(RANDOM_CODE_POINTS.length)]);
            }
            texts.add(text.toString());
        }
        return texts;
    }
}
