package org.rlhf4j.tasks.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rlhf4j.model.tokenizer.ByteTokenizer;

class JsonlRoundTripTest {

    /** Texts that JSON must escape or that stress UTF-8: quotes, newlines, controls, every plane. */
    static final List<String> HARD_TEXTS = List.of(
            "plain ASCII",
            "line one\nline two\r\nline three\n",
            "tab\there, quote \" and backslash \\ and slash /",
            "controls \u0000 \u0001 \u001f and DEL \u007f",
            "accents: d\u00e9j\u00e0 vu, na\u00efve, Stra\u00dfe",
            "CJK \u4f60\u597d\u4e16\u754c, Hangul \ud55c\uad6d\uc5b4, Arabic \u0645\u0631\u062d\u0628\u0627",
            "emoji \ud83d\ude00 family \ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67 flag \ud83c\uddef\ud83c\uddf5",
            "separators \u2028 and \u2029 that break JavaScript",
            "byte order mark \ufeff inside, replacement char \ufffd",
            "  leading and trailing spaces  ",
            "{\"looks\": \"like JSON\"}",
            "<|endoftext|> is plain text here");

    @TempDir
    Path dir;

    @Test
    void sftExamplesOfBothShapesSurviveARoundTrip() {
        List<SftExample> examples = new ArrayList<>();
        for (String text : HARD_TEXTS) {
            examples.add(SftExample.of(text, text + "!"));
            examples.add(SftExample.ofText(text));
        }
        examples.add(SftExample.of("", "an empty prompt"));
        Path file = dir.resolve("sft.jsonl");

        assertEquals(examples.size(), JsonlWriter.sft().write(file, examples));

        assertEquals(examples, JsonlReader.sft().readAll(file));
    }

    @Test
    void preferenceExamplesWithAndWithoutMarginSurviveARoundTrip() {
        List<PreferenceExample> examples = new ArrayList<>();
        double[] margins = {0.0, -0.0, 0.1, -2.5, 1e-300, 1.7976931348623157e308, 3.0};
        for (int i = 0; i < HARD_TEXTS.size(); i++) {
            String text = HARD_TEXTS.get(i);
            OptionalDouble margin = i < margins.length ? OptionalDouble.of(margins[i]) : OptionalDouble.empty();
            examples.add(new PreferenceExample(text, "good " + text, "bad " + text, margin));
        }
        examples.add(new PreferenceExample("", "implicit prompt, chosen", "implicit prompt, rejected"));
        Path file = dir.resolve("prefs.jsonl");

        JsonlWriter.preferences().write(file, examples);

        assertEquals(examples, JsonlReader.preferences().readAll(file));
    }

    @Test
    void promptExamplesSurviveARoundTrip() {
        List<PromptExample> examples = HARD_TEXTS.stream().map(PromptExample::new).toList();
        Path file = dir.resolve("prompts.jsonl");

        JsonlWriter.prompts().write(file, examples);

        assertEquals(examples, JsonlReader.prompts().readAll(file));
    }

    @Test
    void randomTextsOverAllOfUnicodeSurviveARoundTrip() {
        Random random = new Random(7);
        List<SftExample> examples = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            examples.add(SftExample.of(randomText(random), "x" + randomText(random)));
        }
        Path file = dir.resolve("random.jsonl");

        JsonlWriter.sft().write(file, examples);

        assertEquals(examples, JsonlReader.sft().readAll(file));
    }

    @Test
    void eachExampleIsOneCompactLineOfPlainUtf8() throws IOException {
        Path file = dir.resolve("sft.jsonl");

        JsonlWriter.sft().write(file, List.of(
                SftExample.of("Say \"hi\"\n", "h\u00e9 \ud83d\ude00"), SftExample.ofText("tab\tend")));

        String expected = "{\"prompt\":\"Say \\\"hi\\\"\\n\",\"completion\":\"h\u00e9 \ud83d\ude00\"}\n"
                + "{\"text\":\"tab\\tend\"}\n";
        assertArrayEquals(expected.getBytes(StandardCharsets.UTF_8), Files.readAllBytes(file));
    }

    @Test
    void preferencesAreWrittenWithAPromptAlwaysAndAMarginOnlyWhenGiven() throws IOException {
        Path file = dir.resolve("prefs.jsonl");

        JsonlWriter.preferences().write(file, List.of(
                new PreferenceExample("", "a", "b"), new PreferenceExample("p", "a", "b", OptionalDouble.of(1.5))));

        assertEquals("{\"prompt\":\"\",\"chosen\":\"a\",\"rejected\":\"b\"}\n"
                        + "{\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\",\"margin\":1.5}\n",
                Files.readString(file));
    }

    @Test
    void manyExamplesSpanningManyReadBuffersSurviveARoundTripThroughAStream() {
        List<PreferenceExample> examples = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            examples.add(new PreferenceExample("prompt " + i, "chosen \u00e9\ud83d\ude00 " + i, "rejected " + i,
                    i % 3 == 0 ? OptionalDouble.of(i / 7.0) : OptionalDouble.empty()));
        }
        Path file = dir.resolve("many.jsonl");

        assertEquals(20_000, JsonlWriter.preferences().write(file, examples::iterator));

        try (Stream<PreferenceExample> read = JsonlReader.preferences().stream(file)) {
            assertEquals(examples, read.toList());
        }
    }

    @Test
    void aReadTextTokenizesToExactlyItsUtf8Bytes() {
        String text = "na\u00efve \ud83d\ude00\n\u4f60\u597d";
        Path file = dir.resolve("sft.jsonl");
        JsonlWriter.sft().write(file, List.of(SftExample.ofText(text)));

        SftExample read = JsonlReader.sft().readAll(file).get(0);

        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new ByteTokenizer().encode(read.text());
        assertEquals(utf8.length, ids.length);
        for (int i = 0; i < utf8.length; i++) {
            assertEquals(utf8[i] & 0xFF, ids[i]);
        }
    }

    private static String randomText(Random random) {
        StringBuilder text = new StringBuilder();
        for (int j = random.nextInt(30); j > 0; j--) {
            int codePoint = random.nextInt(Character.MAX_CODE_POINT + 1);
            if (codePoint < Character.MIN_SURROGATE || codePoint > Character.MAX_SURROGATE) {
                text.appendCodePoint(codePoint);
            }
        }
        return text.toString();
    }
}
