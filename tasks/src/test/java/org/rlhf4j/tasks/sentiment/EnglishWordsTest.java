package org.rlhf4j.tasks.sentiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EnglishWordsTest {
    private static final EnglishWords WORDNET = EnglishWords.get();

    @Test
    void normalizingLowerCasesAndStripsPunctuationAtTheEnds() {
        assertEquals("hello", EnglishWords.normalize("\"Hello,\""));
        assertEquals("dogs", EnglishWords.normalize("dogs'"));
        assertEquals("don't", EnglishWords.normalize("Don\u2019t!"));
        assertEquals("well-fed", EnglishWords.normalize("(well-fed)"));
        assertEquals("", EnglishWords.normalize("--"));
        assertEquals("", EnglishWords.normalize("\u201c...\u201d"));
        assertEquals("\ufffd\ufffd", EnglishWords.normalize("\ufffd\ufffd."));
    }

    @Test
    void lemmasAndFunctionWordsAreEnglish() {
        for (String word : List.of("good", "movie", "quickly", "the", "of", "she", "they", "i", "was",
            "anything", "cannot", "everybody")) {
            assertTrue(WORDNET.contains(word), word);
        }
    }

    @Test
    void inflectionsAreFoundByMorphysRulesAndTheExceptionLists() {
        // nouns -s, -xes, -ches, -ies, -men; verbs -ed, -ed→-e, -ing→-e; adjectives -er, -est→-e;
        // then irregular forms from verb.exc, noun.exc and adj.exc
        for (String word : List.of("cats", "boxes", "churches", "cities", "firemen", "walked", "hoped",
                "making", "taller", "nicest", "went", "mice", "better")) {
            assertTrue(WORDNET.contains(word), word);
        }
    }

    @Test
    void cliticsHyphensAndNumbersAreEnglishWhenTheirPartsAre() {
        for (String word : List.of("don't", "dog's", "they'll", "can't", "well-fed", "1990", "1,000", "3.5")) {
            assertTrue(WORDNET.contains(word), word);
        }
        for (String word : List.of("magdulention's", "good-seore", "1,", "good-")) {
            assertFalse(WORDNET.contains(word), word);
        }
    }

    @Test
    void pseudoWordsAndBytesAreNotEnglish() {
        // from the SFT and DPO samples of issue 14
        for (String word : List.of("magdulention", "seore", "famuical", "\u03cd\u075e\ufffd\ufffd", "\u0003\ufffd", "")) {
            assertFalse(WORDNET.contains(word), word);
        }
    }

    @Test
    void aRuleAppliesOnlyToItsPartOfSpeech() {
        EnglishWords words = new EnglishWords(Map.of(EnglishWords.Pos.NOUN, Set.of("box"),
                EnglishWords.Pos.ADJECTIVE, Set.of("tall")), Set.of("went"));
        assertTrue(words.contains("boxes"));
        assertTrue(words.contains("taller"));
        assertTrue(words.contains("went"));
        assertFalse(words.contains("boxing"), "-ing is a verb rule and box is only a noun here");
        assertFalse(words.contains("talls"), "-s is a noun and verb rule and tall is only an adjective here");
    }
}
