package org.rlhf4j.tasks.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class ExampleRecordsTest {

    @Test
    void aWholeTextIsAnEmptyPromptWithTheTextAsCompletion() {
        SftExample example = SftExample.ofText("The sky is blue.");
        assertEquals("", example.prompt());
        assertEquals("The sky is blue.", example.completion());
        assertEquals("The sky is blue.", example.text());
        assertTrue(example.wholeText());
    }

    @Test
    void aPromptCompletionExampleIsTrainedOnItsConcatenation() {
        SftExample example = SftExample.of("The sky is", " blue.");
        assertEquals("The sky is blue.", example.text());
        assertFalse(example.wholeText());
        assertEquals(new SftExample("The sky is", " blue.", false), example);
    }

    @Test
    void aWholeTextWithAPromptIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SftExample("Q", "A", true));
        assertEquals("a whole-text example has an empty prompt, got a prompt of 1 characters", e.getMessage());
    }

    @Test
    void anEmptyCompletionIsRejectedByFieldName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SftExample.of("Q", ""));
        assertEquals("field \"completion\": expected a non-empty string, got \"\"", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SftExample.ofText(""));
        assertEquals("field \"text\": expected a non-empty string, got \"\"", e.getMessage());
    }

    @Test
    void anEmptyPromptIsAllowedForSftAndPreferencesButNotForRl() {
        assertEquals("", SftExample.of("", "A").prompt());
        assertEquals("", new PreferenceExample("", "A", "B").prompt());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PromptExample(""));
        assertEquals("field \"prompt\": expected a non-empty string, got \"\"", e.getMessage());
    }

    @Test
    void anUnpairedSurrogateIsRejectedWithItsPosition() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PreferenceExample("ok", "ab\ud800c", "x"));
        assertEquals("field \"chosen\": expected valid Unicode text, got an unpaired surrogate \\ud800 at character 3",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new PromptExample("\ude00"));
        assertEquals("field \"prompt\": expected valid Unicode text, got an unpaired surrogate \\ude00 at character 1",
                e.getMessage());
        assertEquals("\ud83d\ude00", new PromptExample("\ud83d\ude00").prompt()); // a pair is one emoji
    }

    @Test
    void aMarginMustBeFinite() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PreferenceExample("p", "a", "b", OptionalDouble.of(Double.NaN)));
        assertEquals("field \"margin\": expected a finite number, got NaN", e.getMessage());
        assertEquals(OptionalDouble.empty(), new PreferenceExample("p", "a", "b").margin());
        assertEquals(-0.5, new PreferenceExample("p", "a", "b", OptionalDouble.of(-0.5)).margin().getAsDouble());
    }

    @Test
    void aNullFieldIsAProgrammingError() {
        assertThrows(NullPointerException.class, () -> SftExample.of(null, "A"));
        assertThrows(NullPointerException.class, () -> new PreferenceExample("p", "a", null));
    }
}
