package org.rlhf4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPT-2's tokenizer against JTokkit's independent r50k_base encoder, which gives GPT-2's ids. The
 * Hugging Face files are written from the r50k tables, since the tests may not download GPT-2's.
 */
class Gpt2TokenizerTest {

    private static final List<String> TEXTS = TokenizerTestTexts.all();
    private static final Encoding JTOKKIT =
            Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);

    @TempDir
    static Path huggingFaceDirectory;

    private static Gpt2Tokenizer r50k;
    private static Gpt2Tokenizer fromFiles;

    @BeforeAll
    static void writeAndReadGpt2Files() {
        r50k = Gpt2Tokenizer.r50kBase();
        r50k.writeVocabAndMerges(huggingFaceDirectory);
        fromFiles = Gpt2Tokenizer.fromHuggingFace(huggingFaceDirectory);
    }

    @Test
    void corpusHasAFewHundredTexts() {
        assertTrue(TEXTS.size() >= 300, "only " + TEXTS.size() + " texts");
    }

    @Test
    void r50kGivesJtokkitsIdsForEveryCorpusText() {
        for (String text : TEXTS) {
            assertArrayEquals(JTOKKIT.encodeOrdinary(text).toArray(), r50k.encode(text), () -> "text: " + text);
        }
    }

    @Test
    void huggingFaceFilesGiveJtokkitsIdsForEveryCorpusText() {
        for (String text : TEXTS) {
            assertArrayEquals(JTOKKIT.encodeOrdinary(text).toArray(), fromFiles.encode(text), () -> "text: " + text);
        }
    }

    @Test
    void tokenizerJsonWithArrayMergesGivesJtokkitsIdsForEveryCorpusText(@TempDir Path directory) throws IOException {
        Path tokenizerJson = directory.resolve("tokenizer.json");
        writeTokenizerJsonWithArrayMerges(huggingFaceDirectory, tokenizerJson);
        Gpt2Tokenizer fromTokenizerJson = Gpt2Tokenizer.fromTokenizerJson(tokenizerJson);
        for (String text : TEXTS) {
            assertArrayEquals(JTOKKIT.encodeOrdinary(text).toArray(), fromTokenizerJson.encode(text));
        }
    }

    @Test
    void knownStringsGiveGpt2sPublishedIds() {
        assertArrayEquals(new int[] {15496, 995}, r50k.encode("Hello world"));
        assertArrayEquals(new int[] {262}, r50k.encode(" the"));
        assertArrayEquals(new int[] {15496, 995}, fromFiles.encode("Hello world"));
        assertArrayEquals(new int[] {262}, fromFiles.encode(" the"));
    }

    @Test
    void bytesAreTheUtf8OfTheTextWithoutEndOfText() {
        String text = "caf\u00e9 \ud83d\ude00 ok";
        int[] ids = IntStream.concat(IntStream.of(r50k.encode(text)), IntStream.of(50256)).toArray();
        assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), r50k.bytes(ids, 0, ids.length));
        // the emoji's four bytes span several byte-level tokens: a prefix of them is not UTF-8
        int[] emoji = r50k.encode("\ud83d\ude00");
        assertTrue(emoji.length > 1, "expected the emoji to take several tokens");
        assertTrue(r50k.bytes(emoji, 0, 1).length < 4, "the first token holds the whole emoji");
    }

    @Test
    void endOfTextIsEosAndPadAndTheLastId() {
        for (Gpt2Tokenizer tokenizer : List.of(r50k, fromFiles)) {
            assertEquals(50256, tokenizer.eosId());
            assertEquals(50256, tokenizer.padId());
            assertEquals(50257, tokenizer.vocabSize());
            assertEquals("gpt2", tokenizer.name());
        }
    }

    @Test
    void endOfTextInsideTextIsPlainTextUnlessEncodedWithSpecials() {
        assertArrayEquals(JTOKKIT.encodeOrdinary("<|endoftext|>").toArray(), r50k.encode("<|endoftext|>"));
        assertArrayEquals(new int[] {50256}, r50k.encodeWithSpecials("<|endoftext|>"));
        int[] expected = IntStream.concat(
                IntStream.concat(IntStream.of(JTOKKIT.encodeOrdinary("Hello").toArray()), IntStream.of(50256)),
                IntStream.of(JTOKKIT.encodeOrdinary(" world").toArray())).toArray();
        assertArrayEquals(expected, r50k.encodeWithSpecials("Hello<|endoftext|> world"));
    }

    @Test
    void decodeInvertsEncodeForEveryCorpusText() {
        for (String text : TEXTS) {
            assertEquals(text, r50k.decode(r50k.encode(text)), () -> "text: " + text);
        }
    }

    @Test
    void decodeAgreesWithJtokkit() {
        int[] ids = {15496, 11, 50256, 995, 0, 50255};
        assertEquals(JTOKKIT.decode(toList(ids)), fromFiles.decode(ids));
    }

    @Test
    void decodeRendersOrSkipsEndOfText() {
        int[] ids = {15496, 50256, 995, 50256};
        assertEquals("Hello<|endoftext|> world<|endoftext|>", r50k.decode(ids));
        assertEquals("Hello world", r50k.decode(ids, 0, ids.length, Tokenizer.Specials.SKIP));
        assertEquals(" world", r50k.decode(ids, 2, 3));
    }

    @Test
    void aCharacterCutBetweenTokensDecodesToReplacementCharacters() {
        int[] ids = r50k.encode("\ud83d\ude00");
        assertTrue(ids.length > 1, "expected the emoji to span several byte tokens");
        String firstPart = r50k.decode(ids, 0, 1);
        assertFalse(firstPart.isEmpty());
        assertTrue(firstPart.chars().allMatch(c -> c == '\ufffd'), firstPart);
    }

    @Test
    void decodeRejectsAnIdOutsideTheVocabulary() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> r50k.decode(new int[] {50257}));
        assertEquals("token id 50257 is outside the vocabulary of 50257 tokens", e.getMessage());
    }

    @Test
    void mergesRebuiltFromRanksMatchGpt2sPublishedMergesAtBothEnds() throws IOException {
        List<String> lines = Files.readAllLines(huggingFaceDirectory.resolve("merges.txt"), StandardCharsets.UTF_8);
        // The first and last lines of GPT-2's vocab.bpe as published by OpenAI.
        List<String> head = List.of("#version: 0.2", "\u0120 t", "\u0120 a", "h e", "i n", "r e", "o n",
                "\u0120t he", "e r", "\u0120 s", "a t", "\u0120 w", "\u0120 o", "e n", "\u0120 c", "i t", "i s",
                "a n", "o r", "e s", "\u0120 b", "e d", "\u0120 f", "in g", "\u0120 p", "o u", "\u0120a n",
                "a l", "a r", "\u0120t o");
        List<String> tail = List.of("Com par", "\u0120ampl ification", "om inated", "\u0120reg ress",
                "\u0120Coll ider", "\u0120inform ants", "\u0120g azed");
        assertEquals(50001, lines.size());
        assertEquals(head, lines.subList(0, head.size()));
        assertEquals(tail, lines.subList(lines.size() - tail.size(), lines.size()));
    }

    @Test
    void vocabJsonSpellsTokensAsGpt2sEncoderJsonDoes() throws IOException {
        JsonNode vocab = new ObjectMapper().readTree(huggingFaceDirectory.resolve("vocab.json").toFile());
        assertEquals(50257, vocab.size());
        assertEquals(0, vocab.get("!").intValue());
        assertEquals(262, vocab.get("\u0120the").intValue());
        assertEquals(50254, vocab.get("\u0120informants").intValue());
        assertEquals(50255, vocab.get("\u0120gazed").intValue());
        assertEquals(50256, vocab.get("<|endoftext|>").intValue());
    }

    @Test
    void r50kIsBuiltOnceAndShared() {
        assertSame(r50k, Gpt2Tokenizer.r50kBase());
    }

    private static void writeTokenizerJsonWithArrayMerges(Path from, Path tokenizerJson) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.set("vocab", json.readTree(from.resolve("vocab.json").toFile()));
        ArrayNode merges = model.putArray("merges");
        List<String> lines = Files.readAllLines(from.resolve("merges.txt"), StandardCharsets.UTF_8);
        for (String line : lines.subList(1, lines.size())) {
            String[] pair = line.split(" ");
            merges.addArray().add(pair[0]).add(pair[1]);
        }
        json.writeValue(tokenizerJson.toFile(), root);
    }

    private static IntArrayList toList(int[] ids) {
        IntArrayList list = new IntArrayList(ids.length);
        for (int id : ids) {
            list.add(id);
        }
        return list;
    }
}
