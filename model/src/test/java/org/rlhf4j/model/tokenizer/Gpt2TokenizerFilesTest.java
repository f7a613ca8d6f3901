package org.rlhf4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading GPT-2-style tokenizers from Hugging Face files, with ids worked out by hand from {@link TinyBpeFiles}. */
class Gpt2TokenizerFilesTest {

    @TempDir
    Path directory;

    @Test
    void vocabAndMergesGiveHandComputedIds() throws IOException {
        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.fromVocabAndMerges(
                TinyBpeFiles.writeVocabJson(directory, TinyBpeFiles.vocab()),
                TinyBpeFiles.writeMergesTxt(directory, TinyBpeFiles.MERGES));
        assertHandComputedIds(tokenizer);
    }

    @Test
    void tokenizerJsonWithStringMergesGivesHandComputedIds() throws IOException {
        assertHandComputedIds(Gpt2Tokenizer.fromTokenizerJson(
                TinyBpeFiles.writeTokenizerJson(directory, TinyBpeFiles.vocab(), TinyBpeFiles.MERGES, false)));
    }

    @Test
    void tokenizerJsonWithArrayMergesGivesHandComputedIds() throws IOException {
        assertHandComputedIds(Gpt2Tokenizer.fromTokenizerJson(
                TinyBpeFiles.writeTokenizerJson(directory, TinyBpeFiles.vocab(), TinyBpeFiles.MERGES, true)));
    }

    @Test
    void aDirectoryWithOnlyTokenizerJsonIsReadFromIt() throws IOException {
        TinyBpeFiles.writeTokenizerJson(directory, TinyBpeFiles.vocab(), TinyBpeFiles.MERGES, false);
        assertHandComputedIds(Gpt2Tokenizer.fromHuggingFace(directory));
    }

    @Test
    void aDirectoryWithVocabAndMergesIsReadFromThem() throws IOException {
        TinyBpeFiles.writeVocabJson(directory, TinyBpeFiles.vocab());
        TinyBpeFiles.writeMergesTxt(directory, TinyBpeFiles.MERGES);
        assertHandComputedIds(Gpt2Tokenizer.fromHuggingFace(directory));
    }

    @Test
    void endOfTextMayComeFromAddedTokensOnly() throws IOException {
        Map<String, Integer> vocab = TinyBpeFiles.vocab();
        vocab.remove("<|endoftext|>");
        Path file = TinyBpeFiles.writeTokenizerJson(directory, vocab, TinyBpeFiles.MERGES, false);
        String json = Files.readString(file).replaceFirst("^\\{",
                "{\"added_tokens\":[{\"id\":263,\"content\":\"<|endoftext|>\",\"special\":true}],");
        Files.writeString(file, json);
        assertHandComputedIds(Gpt2Tokenizer.fromTokenizerJson(file));
    }

    private static void assertHandComputedIds(Gpt2Tokenizer tokenizer) {
        // "hello": he, ll, hell, hello; " world": Ġw, or, Ġwor, then l and d stay bytes.
        assertArrayEquals(new int[] {259, 262, 'l', 'd'}, tokenizer.encode("hello world"));
        // One pass merges every non-overlapping occurrence, left to right.
        assertArrayEquals(new int[] {257, 257}, tokenizer.encode("llll"));
        assertArrayEquals(new int[] {257, 'l'}, tokenizer.encode("lll"));
        // Rank decides, not position: "ohell" never has the pair (hell, o).
        assertArrayEquals(new int[] {'o', 258}, tokenizer.encode("ohell"));
        assertArrayEquals(new int[] {'w', 261, 'l', 'd', ' ', '\n'}, tokenizer.encode("world \n"));
        assertEquals(264, tokenizer.vocabSize());
        assertEquals(263, tokenizer.eosId());
        assertEquals("hello world<|endoftext|>", tokenizer.decode(new int[] {259, 262, 'l', 'd', 263}));
    }

    @Test
    void aMissingFileIsNamed() throws IOException {
        Path merges = TinyBpeFiles.writeMergesTxt(directory, TinyBpeFiles.MERGES);
        Path vocab = directory.resolve("vocab.json");
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromVocabAndMerges(vocab, merges));
        assertEquals(vocab + ": expected a file here, but it does not exist", e.getMessage());
    }

    @Test
    void aDirectoryWithoutTokenizerFilesSaysWhichItExpected() {
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromHuggingFace(directory));
        assertEquals(directory + ": expected vocab.json and merges.txt, or tokenizer.json, but found none of them",
                e.getMessage());
    }

    @Test
    void aDirectoryWithVocabButNoMergesNamesTheMissingFile() throws IOException {
        TinyBpeFiles.writeVocabJson(directory, TinyBpeFiles.vocab());
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromHuggingFace(directory));
        assertEquals(directory.resolve("merges.txt") + ": expected a file here, but it does not exist",
                e.getMessage());
    }

    @Test
    void malformedVocabJsonIsReportedWithFileAndLine() throws IOException {
        Path vocab = directory.resolve("vocab.json");
        Files.writeString(vocab, "{\n  \"a\": 0,\n  \"b\": \n}\n");
        Path merges = TinyBpeFiles.writeMergesTxt(directory, List.of());
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromVocabAndMerges(vocab, merges));
        assertTrue(e.getMessage().startsWith(vocab + ": expected valid JSON, but it is malformed at line 4, column 1"),
                e.getMessage());
    }

    @Test
    void aDuplicateTokenInVocabJsonIsReportedWithFileAndLine() throws IOException {
        Path vocab = directory.resolve("vocab.json");
        Files.writeString(vocab, "{\"a\": 0,\n\"a\": 1}");
        Path merges = TinyBpeFiles.writeMergesTxt(directory, List.of());
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromVocabAndMerges(vocab, merges));
        assertTrue(e.getMessage().startsWith(vocab + ": expected valid JSON, but it is malformed at line 2"),
                e.getMessage());
        assertTrue(e.getMessage().contains("Duplicate field 'a'"), e.getMessage());
    }

    @Test
    void aVocabIdThatIsNotAnIntegerIsReported() throws IOException {
        Path vocab = directory.resolve("vocab.json");
        Files.writeString(vocab, "{\"a\": \"zero\"}");
        Path merges = TinyBpeFiles.writeMergesTxt(directory, List.of());
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromVocabAndMerges(vocab, merges));
        assertEquals(vocab + ": expected an integer id for token 'a', got \"zero\"", e.getMessage());
    }

    @Test
    void aMergeLineWithThreeTokensIsReportedWithFileAndLine() throws IOException {
        Path vocab = TinyBpeFiles.writeVocabJson(directory, TinyBpeFiles.vocab());
        Path merges = TinyBpeFiles.writeMergesTxt(directory, List.of("h e", "l l", "he ll o"));
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromVocabAndMerges(vocab, merges));
        assertEquals(merges + " line 4: expected two tokens separated by a single space, got 'he ll o'",
                e.getMessage());
    }

    @Test
    void aMergeNamingAnUnknownTokenIsReportedWithFileAndLine() throws IOException {
        Path vocab = TinyBpeFiles.writeVocabJson(directory, TinyBpeFiles.vocab());
        Path merges = TinyBpeFiles.writeMergesTxt(directory, List.of("h e", "he zz"));
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromVocabAndMerges(vocab, merges));
        assertEquals(merges + " line 3: expected tokens from vocab.json, but 'zz' is not in it", e.getMessage());
    }

    @Test
    void aMergeWhoseResultIsNotInTheVocabularyIsReportedWithFileAndLine() throws IOException {
        Path vocab = TinyBpeFiles.writeVocabJson(directory, TinyBpeFiles.vocab());
        Path merges = TinyBpeFiles.writeMergesTxt(directory, List.of("h e", "e h"));
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromVocabAndMerges(vocab, merges));
        assertEquals(merges + " line 3: expected the merged token 'eh' in vocab.json, but it is not there",
                e.getMessage());
    }

    @Test
    void mergesTxtThatIsNotUtf8IsReported() throws IOException {
        Path vocab = TinyBpeFiles.writeVocabJson(directory, TinyBpeFiles.vocab());
        Path merges = directory.resolve("merges.txt");
        Files.write(merges, new byte[] {'h', ' ', 'e', '\n', (byte) 0xFF, '\n'});
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromVocabAndMerges(vocab, merges));
        assertEquals(merges + ": expected UTF-8 text, but it is not valid UTF-8", e.getMessage());
    }

    @Test
    void aMalformedMergeInTokenizerJsonIsReportedWithItsIndex() throws IOException {
        Path file = TinyBpeFiles.writeTokenizerJson(directory, TinyBpeFiles.vocab(), List.of("h e"), true);
        Files.writeString(file, Files.readString(file).replace("[[\"h\",\"e\"]]", "[[\"h\",\"e\"],[\"l\"]]"));
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromTokenizerJson(file));
        assertEquals(file + " model.merges[1]: expected a merge as \"left right\" or [\"left\", \"right\"], got [\"l\"]",
                e.getMessage());
    }

    @Test
    void anUnknownTokenInTokenizerJsonMergesIsReportedWithItsIndex() throws IOException {
        Path file = TinyBpeFiles.writeTokenizerJson(directory, TinyBpeFiles.vocab(), List.of("h e", "zz e"), false);
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromTokenizerJson(file));
        assertEquals(file + " model.merges[1]: expected tokens from model.vocab, but 'zz' is not in it",
                e.getMessage());
    }

    @Test
    void tokenizerJsonWithoutAVocabIsReported() throws IOException {
        Path file = directory.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\": {\"type\": \"BPE\", \"merges\": []}}");
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromTokenizerJson(file));
        assertEquals(file + " model.vocab: expected a JSON object mapping token to id, got MISSING", e.getMessage());
    }

    @Test
    void tokenizerJsonOfAnotherModelTypeIsReported() throws IOException {
        Path file = directory.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}");
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromTokenizerJson(file));
        assertEquals(file + ": expected model.type \"BPE\", got \"WordPiece\"", e.getMessage());
    }

    @Test
    void malformedTokenizerJsonIsReportedWithFileAndLine() throws IOException {
        Path file = directory.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\":\n{\"vocab\": {}\n");
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromTokenizerJson(file));
        assertTrue(e.getMessage().startsWith(file + ": expected valid JSON, but it is malformed at line 3"),
                e.getMessage());
    }

    @Test
    void aVocabularyWithoutEndOfTextIsReported() throws IOException {
        Map<String, Integer> vocab = TinyBpeFiles.vocab();
        vocab.remove("<|endoftext|>");
        Path vocabJson = TinyBpeFiles.writeVocabJson(directory, vocab);
        Path merges = TinyBpeFiles.writeMergesTxt(directory, TinyBpeFiles.MERGES);
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromVocabAndMerges(vocabJson, merges));
        assertEquals(vocabJson + ": expected the token <|endoftext|> in the vocabulary, but it is missing",
                e.getMessage());
    }

    @Test
    void aVocabularyMissingAByteTokenSaysWhichByte() throws IOException {
        Map<String, Integer> vocab = TinyBpeFiles.vocab();
        vocab.remove("\u0120"); // the space byte
        vocab.put("extra", 32); // keeps the ids dense
        Path vocabJson = TinyBpeFiles.writeVocabJson(directory, vocab);
        Path merges = TinyBpeFiles.writeMergesTxt(directory, List.of("h e"));
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromVocabAndMerges(vocabJson, merges));
        assertEquals(vocabJson + ": expected a token for every byte, but byte 0x20 ('\u0120') has none",
                e.getMessage());
    }

    @Test
    void aVocabularyWithASharedIdIsReported() throws IOException {
        Map<String, Integer> vocab = TinyBpeFiles.vocab();
        vocab.put("<|endoftext|>", 262);
        Path vocabJson = TinyBpeFiles.writeVocabJson(directory, vocab);
        Path merges = TinyBpeFiles.writeMergesTxt(directory, TinyBpeFiles.MERGES);
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromVocabAndMerges(vocabJson, merges));
        assertTrue(e.getMessage().startsWith(vocabJson + ": expected each of the 264 tokens to have its own id in 0..263"),
                e.getMessage());
    }

    @Test
    void aTokenOutsideGpt2sByteAlphabetIsReported() throws IOException {
        Map<String, Integer> vocab = TinyBpeFiles.vocab();
        vocab.put("a b", vocab.size());
        Path vocabJson = TinyBpeFiles.writeVocabJson(directory, vocab);
        Path merges = TinyBpeFiles.writeMergesTxt(directory, new ArrayList<>(TinyBpeFiles.MERGES));
        TokenizerFileException e = assertThrows(TokenizerFileException.class,
                () -> Gpt2Tokenizer.fromVocabAndMerges(vocabJson, merges));
        assertEquals(vocabJson + ": token 'a b' contains U+0020, which is not one of GPT-2's 256 byte characters",
                e.getMessage());
    }

    @Test
    void mergesTxtMayEndWithoutNewlineAndHaveCrLfLineEnds() throws IOException {
        Path vocab = TinyBpeFiles.writeVocabJson(directory, TinyBpeFiles.vocab());
        Path merges = directory.resolve("merges.txt");
        Files.writeString(merges, "#version: 0.2\r\n" + String.join("\r\n", TinyBpeFiles.MERGES),
                StandardCharsets.UTF_8);
        assertHandComputedIds(Gpt2Tokenizer.fromVocabAndMerges(vocab, merges));
    }
}
