package org.rlhf4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Describing a tokenizer for checkpoint metadata and rebuilding it from that description. */
class TokenizerDescriptionTest {

    @Test
    void byteTokenizerIsRebuiltFromItsDescription() {
        Map<String, String> description = new ByteTokenizer().describe();
        assertEquals(Map.of("kind", "byte", "vocab_size", "260"), description);
        assertInstanceOf(ByteTokenizer.class, Tokenizer.fromDescription(description));
    }

    @Test
    void r50kIsRebuiltFromItsDescription() {
        Gpt2Tokenizer r50k = Gpt2Tokenizer.r50kBase();
        Map<String, String> description = r50k.describe();
        assertEquals("gpt2", description.get("kind"));
        assertEquals("r50k_base", description.get("source"));
        assertEquals("50257", description.get("vocab_size"));
        assertSame(r50k, Tokenizer.fromDescription(description));
    }

    @Test
    void aHuggingFaceTokenizerThatIsNotGpt2sIsRebuiltFromItsDescriptionAlone(
            @TempDir Path directory) {
        // files of another vocabulary, ids in an order no replay of its merges would give
        Gpt2Tokenizer.learn(java.util.List.of("the cat sat on the mat", "a cat, a hat"), 280)
                .writeVocabAndMerges(directory);
        Gpt2Tokenizer fromFiles = Gpt2Tokenizer.fromHuggingFace(directory);
        Map<String, String> description = fromFiles.describe();
        assertEquals("huggingface", description.get("source"));
        assertTrue(description.containsKey(Gpt2Tokenizer.VOCAB_KEY), description.keySet()
                .toString());
        Tokenizer rebuilt = Tokenizer.fromDescription(Map.copyOf(description));
        for (String text : new String[] {"the cat sat", "a hat on a mat", "dog 🐕"}) {
            assertArrayEquals(fromFiles.encode(text), rebuilt.encode(text), text);
        }
        assertEquals(fromFiles.vocabSize(), rebuilt.vocabSize());
        Map<String, String> tampered = new HashMap<>(description);
        tampered.put(Gpt2Tokenizer.VOCAB_SHA256_KEY, "0".repeat(64));
        assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromDescription(tampered));
    }

    @Test
    void gpt2LoadedFromFilesIsRebuiltAsR50k(@TempDir Path directory) {
        Gpt2Tokenizer.r50kBase().writeVocabAndMerges(directory);
        Gpt2Tokenizer fromFiles = Gpt2Tokenizer.fromHuggingFace(directory);
        Map<String, String> description = fromFiles.describe();
        assertEquals("huggingface", description.get("source"));
        Tokenizer rebuilt = Tokenizer.fromDescription(description);
        String text = "Rebuilt tokenizers give the same ids: 123 \u00e9 \ud83d\ude00";
        assertArrayEquals(fromFiles.encode(text), rebuilt.encode(text));
    }

    @Test
    void aDescriptionWithOnlyTheKindIsEnough() {
        assertSame(Gpt2Tokenizer.r50kBase(), Tokenizer.fromDescription(Map.of("kind", "gpt2")));
        assertInstanceOf(ByteTokenizer.class, Tokenizer.fromDescription(Map.of("kind", "byte")));
    }

    @Test
    void anotherVocabularyDescribedWithoutItsTokensIsRefusedRatherThanRebuiltAsR50k(
            @TempDir Path directory) throws IOException {
        Gpt2Tokenizer tiny = Gpt2Tokenizer.fromVocabAndMerges(
                TinyBpeFiles.writeVocabJson(directory, TinyBpeFiles.vocab()),
                TinyBpeFiles.writeMergesTxt(directory, TinyBpeFiles.MERGES));
        // as checkpoints written before descriptions carried the tokens
        Map<String, String> older = new HashMap<>(tiny.describe());
        older.remove(Gpt2Tokenizer.VOCAB_KEY);
        older.remove(Gpt2Tokenizer.MERGES_KEY);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tokenizer.fromDescription(older));
        assertTrue(e.getMessage().startsWith("expected GPT-2's vocabulary"), e.getMessage());
    }

    @Test
    void anUnknownKindIsRefusedWithWhatWasReceived() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tokenizer.fromDescription(Map.of("kind", "sentencepiece")));
        assertEquals("expected tokenizer kind 'byte' or 'gpt2' under key 'kind', got 'sentencepiece'",
                e.getMessage());
    }

    @Test
    void aVocabSizeThatDiffersFromTheRebuiltTokenizerIsRefused() {
        Map<String, String> description = new HashMap<>(new ByteTokenizer().describe());
        description.put("vocab_size", "300");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tokenizer.fromDescription(description));
        assertTrue(e.getMessage().startsWith("expected a byte tokenizer with 300 tokens"), e.getMessage());
        assertTrue(e.getMessage().endsWith("but rebuilding gives 260"), e.getMessage());
    }
}
