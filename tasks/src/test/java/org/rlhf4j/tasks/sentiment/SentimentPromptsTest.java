package org.rlhf4j.tasks.sentiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SentimentPromptsTest {

    @Test
    void aPromptIsTheFirstTwoToFourWordsOfItsExample() {
        int[] byLength = new int[SentimentPrompts.MAX_WORDS + 1];
        for (String example : WordNetCorpus.get().heldOut()) {
            String prompt = SentimentPrompts.promptOf(example);
            int words = prompt.split(" ").length;
            assertTrue(words >= SentimentPrompts.MIN_WORDS && words <= SentimentPrompts.MAX_WORDS, prompt);
            assertTrue(example.startsWith(prompt + " "), prompt + " / " + example);
            byLength[words]++;
        }
        // a third each, less the longer lengths that short examples cannot give
        int total = WordNetCorpus.get().heldOut().size();
        for (int n = SentimentPrompts.MIN_WORDS; n <= SentimentPrompts.MAX_WORDS; n++) {
            assertTrue(byLength[n] > total / 5, "prompts of " + n + " words: " + byLength[n]);
        }
    }

    @Test
    void aPromptLeavesAtLeastOneWordToComplete() {
        for (String example : List.of("one two three", "a b c", "alpha beta gamma delta")) {
            String prompt = SentimentPrompts.promptOf(example);
            assertTrue(prompt.split(" ").length < example.split(" ").length, prompt);
        }
    }

    @Test
    void anExampleTooShortForAPromptIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SentimentPrompts.promptOf("too short"));
        assertEquals("an example needs at least 3 words to make a prompt, got \"too short\"", e.getMessage());
    }

    @Test
    void promptListsAreDistinctDeterministicAndPinned() {
        List<String> heldOut = SentimentPrompts.heldOut();
        List<String> train = SentimentPrompts.train();
        assertEquals(4_116, heldOut.size());
        assertEquals(33_622, train.size());
        assertEquals(heldOut.size(), new HashSet<>(heldOut).size());
        assertEquals(train.size(), new HashSet<>(train).size());
        assertEquals(heldOut, SentimentPrompts.of(WordNetCorpus.get().heldOut()));
        assertEquals(List.of("a boy with carroty", "pandemic fear", "Tears well in her"), heldOut.subList(0, 3));
        assertSame(heldOut, SentimentPrompts.heldOut());
    }

    @Test
    void theOrderOfAListDoesNotDependOnTheOrderOfItsExamples() {
        List<String> examples = new ArrayList<>(WordNetCorpus.get().heldOut());
        List<String> reversed = new ArrayList<>(examples);
        Collections.reverse(reversed);
        assertEquals(SentimentPrompts.of(examples), SentimentPrompts.of(reversed));
    }

    @Test
    void everyHeldOutPromptStartsAHeldOutExample() {
        Set<String> prompts = new HashSet<>();
        for (String example : WordNetCorpus.get().heldOut()) {
            prompts.add(SentimentPrompts.promptOf(example));
        }
        assertEquals(prompts, new HashSet<>(SentimentPrompts.heldOut()));
    }
}
