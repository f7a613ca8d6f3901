package org.rlhf4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Learning a byte-level BPE from texts, and rebuilding it from its description. */
class BpeTrainerTest {

    private static final List<String> LOW_NEWEST = List.of("low low low lower newest newest");

    @Test
    void mergesTheMostFrequentPairFirstAndBreaksTiesByLowerIds() {
        // Pieces: "low" x1, " low" x2, " lower" x1, " newest" x2. By hand: l-o and o-w both occur
        // 4 times and 'l' < 'o'; then lo-w 4 (beating w-e and " "-lo at 3); then " "-low 3; then
        // six pairs occur twice, of which " "-n has the lowest ids (' ' is byte 32).
        Gpt2Tokenizer t = Gpt2Tokenizer.learn(LOW_NEWEST, 261);
        assertEquals("l o\nlo w\nĠ low\nĠ n", t.describe().get(Gpt2Tokenizer.MERGES_KEY));
        assertEquals(261, t.vocabSize());
        assertEquals(260, t.eosId());
        assertArrayEquals(new int[] {258, 'e', 'r'}, t.encode(" lower"));
        assertArrayEquals(new int[] {259, 'e', 'w', 'e', 's', 't'}, t.encode(" newest"));
    }

    @Test
    void stopsWhenNoPairOccursTwice() {
        Gpt2Tokenizer t = Gpt2Tokenizer.learn(List.of("abc"), 1000);
        assertEquals(257, t.vocabSize());
        assertEquals("", t.describe().get(Gpt2Tokenizer.MERGES_KEY));
        assertArrayEquals(new int[] {'a', 'b', 'c', 256}, t.encodeWithSpecials("abc<|endoftext|>"));
    }

    @Test
    void encodesEveryTrainingPieceAsTrainingLeftIt() {
        // A piece seen often enough ends as one token: the encoder replays the merges in order.
        List<String> corpus = List.of("the cat sat on the mat", "the dog sat on the log", "a cat and a dog");
        Gpt2Tokenizer t = Gpt2Tokenizer.learn(corpus, 300);
        assertEquals(1, t.encode(" sat").length);
        assertEquals(1, t.encode("the").length);
        for (String text : corpus) {
            assertEquals(text, t.decode(t.encode(text)));
        }
    }

    @Test
    void roundTripsAnyTextAndIsRebuiltFromItsDescription() {
        List<String> texts = TokenizerTestTexts.all();
        Gpt2Tokenizer learned = Gpt2Tokenizer.learn(texts, 600);
        assertTrue(learned.vocabSize() > 400, "learned " + learned.vocabSize() + " tokens");
        Tokenizer rebuilt = Tokenizer.fromDescription(learned.describe());
        assertEquals(learned.describe(), rebuilt.describe());
        for (String text : texts) {
            int[] ids = learned.encode(text);
            assertEquals(text, learned.decode(ids), text);
            assertArrayEquals(ids, rebuilt.encode(text), text);
        }
        assertEquals(learned.describe(), Gpt2Tokenizer.learn(texts, 600).describe(), "deterministic");
    }

    @Test
    void aDescriptionWhoseMergesWereEditedIsRefused() {
        Map<String, String> d = new HashMap<>(Gpt2Tokenizer.learn(LOW_NEWEST, 261).describe());
        d.put(Gpt2Tokenizer.MERGES_KEY, "l o\nlo w\nĠ low\nĠ e");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tokenizer.fromDescription(d));
        assertTrue(e.getMessage().contains("vocab_sha256"), e.getMessage());
        d.put(Gpt2Tokenizer.MERGES_KEY, "l o\nxy w");
        e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromDescription(d));
        assertTrue(e.getMessage().contains("merge 2 'xy w'"), e.getMessage());
        d.remove(Gpt2Tokenizer.MERGES_KEY);
        assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromDescription(d));
    }

    @Test
    void tooSmallAVocabularyIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Gpt2Tokenizer.learn(LOW_NEWEST, 256));
        assertNotEquals(Gpt2Tokenizer.learn(LOW_NEWEST, 258).describe(),
                Gpt2Tokenizer.learn(LOW_NEWEST, 259).describe());
    }

    @Test
    void aLearnedTokenizersSummaryNamesItInAFewWordsWithoutItsMerges() {
        Map<String, String> d = Gpt2Tokenizer.learn(LOW_NEWEST, 261).describe();
        String summary = Tokenizer.summary(d);
        assertEquals("gpt2, learned, 261 tokens, vocabulary " + d.get("vocab_sha256").substring(0, 12),
                summary);
        assertEquals("byte, 260 tokens", Tokenizer.summary(new ByteTokenizer().describe()));
    }
}
