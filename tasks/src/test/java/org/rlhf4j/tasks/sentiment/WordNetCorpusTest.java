package org.rlhf4j.tasks.sentiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WordNetCorpusTest {

    @Test
    void theQuotedExamplesOfAGlossAreFound() {
        String line = "00001740 00 a 01 able 0 005 = 05207437 n 0000 | (usually followed by `to') having the necessary "
                + "means; \"able to swim\"; \"she was able to program her computer\"  ";
        assertEquals(List.of("able to swim", "she was able to program her computer"), WordNetCorpus.quotesOf(line));
    }

    @Test
    void anAttributionAfterTheClosingQuoteIsNotPartOfTheExample() {
        String line = "02075021 00 s 01 abstemious 0 | sparing in consumption; \"the pleasures of the table, never of "
                + "much consequence to one naturally abstemious\"- John Galsworthy  ";
        assertEquals(List.of("the pleasures of the table, never of much consequence to one naturally abstemious"),
                WordNetCorpus.quotesOf(line));
    }

    @Test
    void theLicenseHeaderAndLinesWithoutAGlossGiveNothing() {
        assertEquals(List.of(), WordNetCorpus.quotesOf("  1 This software and database is \"provided\" | to you"));
        assertEquals(List.of(), WordNetCorpus.quotesOf("00001740 00 a 01 \"able\" 0 000"));
        assertEquals(List.of("one"), WordNetCorpus.quotesOf("x | a gloss; \"one\"; \"unclosed"));
    }

    @Test
    void cleaningNormalisesTypographyAndWhitespace() {
        assertEquals(Optional.of("he said 'hi' -- then \"left\" - quickly..."),
                WordNetCorpus.clean("  he\tsaid \u2018hi\u2019 \u2014 then \u201Cleft\u201D \u2013 quickly\u2026 "));
        assertEquals(Optional.of("abstract words like 'truth' and 'justice'"),
                WordNetCorpus.clean("abstract words like `truth' and `justice'"));
        assertEquals(Optional.of("a saline substance"), WordNetCorpus.clean("a saline substance "));
    }

    @Test
    void cleaningStripsLeadingDotsAndEnclosingQuotes() {
        assertEquals(Optional.of("was wont to complain that this is a cold world"),
                WordNetCorpus.clean("...was wont to complain that this is a cold world"));
        assertEquals(Optional.of("all spinsters are unmarried"), WordNetCorpus.clean("`all spinsters are unmarried'"));
        assertEquals(Optional.of("'Come and visit me,' he said amiably"),
                WordNetCorpus.clean("'Come and visit me,' he said amiably"));
    }

    @Test
    void shortLongAndNonAsciiExamplesAreDropped() {
        assertEquals(Optional.empty(), WordNetCorpus.clean("absolute silence"));
        assertEquals(Optional.of("absolute silence reigned"), WordNetCorpus.clean("absolute silence reigned"));
        String limit = "a b " + "c".repeat(WordNetCorpus.MAX_CHARS - 5);
        assertEquals(WordNetCorpus.MAX_CHARS - 1, limit.length());
        assertTrue(WordNetCorpus.clean(limit + "s").isPresent());
        assertEquals(Optional.empty(), WordNetCorpus.clean(limit + "sx"));
        assertEquals(Optional.empty(), WordNetCorpus.clean("a caf\u00e9 in Paris"));
        assertEquals(Optional.empty(), WordNetCorpus.clean("a line\u0007 with a bell"));
    }

    @Test
    void examplesEqualButForCaseAreKeptOnceAndSorted() {
        WordNetCorpus corpus = WordNetCorpus.fromQuotes(List.of(
                "the book was good", "The book was good", "a cat sat down", "the  book was good", "no"));
        assertEquals(5, corpus.rawCount());
        assertEquals(List.of("a cat sat down", "The book was good"), corpus.examples());
    }

    @Test
    void theSplitDependsOnTheTextAloneNotOnOrder() {
        List<String> quotes = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            quotes.add("example number " + i + " here");
        }
        WordNetCorpus sorted = WordNetCorpus.fromQuotes(quotes);
        Collections.shuffle(quotes, new Random(7));
        WordNetCorpus shuffled = WordNetCorpus.fromQuotes(quotes);
        assertEquals(sorted.train(), shuffled.train());
        assertEquals(sorted.heldOut(), shuffled.heldOut());
        assertEquals(WordNetCorpus.isHeldOut("The Book Was Good"), WordNetCorpus.isHeldOut("the book was good"));
    }

    @Test
    void wordNetGivesThePinnedCounts() {
        WordNetCorpus corpus = WordNetCorpus.get();
        assertEquals(48_571, corpus.rawCount());
        assertEquals(42_580, corpus.examples().size());
        assertEquals(38_325, corpus.train().size());
        assertEquals(4_255, corpus.heldOut().size());
    }

    @Test
    void theSplitIsPinned() {
        // a change of hash, salt or cleaning shows up here first
        assertEquals(List.of(
                "'Ah, now we're getting at the truth,' he interposed sarcastically",
                "'Are you sure?' he asked her tetchily",
                "'brickle' and 'brickly' are dialectal"), WordNetCorpus.get().heldOut().subList(0, 3));
    }

    @Test
    void everyExampleIsCleanDistinctSortedAndInExactlyOnePart() {
        WordNetCorpus corpus = WordNetCorpus.get();
        Set<String> seen = new HashSet<>();
        String previous = null;
        for (String example : corpus.examples()) {
            assertEquals(Optional.of(example), WordNetCorpus.clean(example), example);
            assertTrue(seen.add(example.toLowerCase(Locale.ROOT)), "duplicate: " + example);
            if (previous != null) {
                assertTrue(WordNetCorpus.ORDER.compare(previous, example) < 0, previous + " / " + example);
            }
            previous = example;
        }
        Set<String> heldOut = new HashSet<>(corpus.heldOut());
        for (String example : corpus.train()) {
            assertFalse(heldOut.contains(example), example);
            assertFalse(WordNetCorpus.isHeldOut(example), example);
        }
        for (String example : corpus.heldOut()) {
            assertTrue(WordNetCorpus.isHeldOut(example), example);
        }
        assertEquals(corpus.examples().size(), corpus.train().size() + corpus.heldOut().size());
        double heldOutShare = corpus.heldOut().size() / (double) corpus.examples().size();
        assertTrue(Math.abs(heldOutShare - 0.1) < 0.005, "held-out share " + heldOutShare);
    }

    @Test
    void theCorpusIsLoadedOncePerJvm() {
        assertSame(WordNetCorpus.get(), WordNetCorpus.get());
        assertSame(WordNetCorpus.get().train(), WordNetCorpus.get().train());
    }
}
