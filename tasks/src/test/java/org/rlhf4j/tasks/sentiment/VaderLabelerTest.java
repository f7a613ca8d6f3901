package org.rlhf4j.tasks.sentiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VaderLabelerTest {

    private final VaderLabeler vader = VaderLabeler.get();

    /**
     * The example sentences of VADER's documentation with their published compound scores: the
     * "Output for the above example code" section of the README of cjhutto/vaderSentiment
     * (README.rst, https://github.com/cjhutto/vaderSentiment). Left out: the README's emoji sentence
     * ("Catch utf-8 emoji such as ..."), because the lexicon artifact has no emoji table.
     */
    private static final List<Object[]> README_EXAMPLES = List.of(
            new Object[] {"VADER is smart, handsome, and funny.", 0.8316},
            new Object[] {"VADER is smart, handsome, and funny!", 0.8439},
            new Object[] {"VADER is very smart, handsome, and funny.", 0.8545},
            new Object[] {"VADER is VERY SMART, handsome, and FUNNY.", 0.9227},
            new Object[] {"VADER is VERY SMART, handsome, and FUNNY!!!", 0.9342},
            new Object[] {"VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!", 0.9469},
            new Object[] {"VADER is not smart, handsome, nor funny.", -0.7424},
            new Object[] {"The book was good.", 0.4404},
            new Object[] {"At least it isn't a horrible book.", 0.431},
            new Object[] {"The book was only kind of good.", 0.3832},
            new Object[] {"The plot was good, but the characters are uncompelling and the dialog is not great.", -0.7042},
            new Object[] {"Today SUX!", -0.5461},
            new Object[] {"Today only kinda sux! But I'll get by, lol", 0.5249},
            new Object[] {"Make sure you :) or :D today!", 0.8633},
            new Object[] {"Not bad at all", 0.431});

    @Test
    void theReadmeExamplesScoreAsPublishedToFourDecimals() {
        for (Object[] example : README_EXAMPLES) {
            String sentence = (String) example[0];
            double published = (Double) example[1];
            double score = vader.score(sentence);
            assertEquals(published, score, 0.00005 + 1e-12, sentence);
            assertEquals(published, Math.round(score * 1e4) / 1e4, 1e-12, sentence);
        }
    }

    @Test
    void scoresEqualTheReferenceImplementationsBitForBit() throws IOException {
        List<String[]> rows = referenceScores();
        assertTrue(rows.size() > 600, "rows: " + rows.size());
        int nonZero = 0;
        for (String[] row : rows) {
            double expected = Double.parseDouble(row[0]);
            assertEquals(expected, vader.score(row[1]), 0.0, row[1]);
            nonZero += expected != 0 ? 1 : 0;
        }
        assertTrue(nonZero > 300, "non-zero rows: " + nonZero);
    }

    @Test
    void textWithoutLexiconWordsScoresZero() {
        assertEquals(0.0, vader.score(""));
        assertEquals(0.0, vader.score("   "));
        assertEquals(0.0, vader.score("the cat sat on the mat!!!"));
    }

    @Test
    void negationFlipsAndShrinksTheValence() {
        double good = vader.score("it is good");
        double notGood = vader.score("it is not good");
        double isntGood = vader.score("it isn't good");
        assertTrue(good > 0 && notGood < 0, good + " " + notGood);
        assertEquals(VaderLabeler.normalize(1.9 * -0.74), notGood, 1e-15);
        assertEquals(notGood, isntGood, 1e-15);
    }

    @Test
    void boostersAndDampenersMoveTheValence() {
        assertEquals(VaderLabeler.normalize(1.9 + 0.293), vader.score("it is very good"), 1e-15);
        assertEquals(VaderLabeler.normalize(1.9 - 0.293), vader.score("it is slightly good"), 1e-15);
        assertEquals(VaderLabeler.normalize(1.9 + 0.95 * 0.293), vader.score("very much good"), 1e-15);
    }

    @Test
    void capitalsAddEmphasisOnlyWhenOtherWordsAreNotCapitalised() {
        assertEquals(VaderLabeler.normalize(1.9 + 0.733), vader.score("it is GOOD"), 1e-15);
        assertEquals(vader.score("it is good"), vader.score("IT IS GOOD"), 1e-15);
    }

    @Test
    void butHalvesWhatComesBeforeAndRaisesWhatComesAfter() {
        double expected = VaderLabeler.normalize(1.9 * 0.5 + -2.5 * 1.5);
        assertEquals(expected, vader.score("good but bad"), 1e-15);
    }

    @Test
    void leastNegatesExceptInAtLeast() {
        assertEquals(VaderLabeler.normalize(1.9 * -0.74), vader.score("the least good"), 1e-15);
        assertEquals(VaderLabeler.normalize(1.9), vader.score("at least good"), 1e-15);
    }

    @Test
    void exclamationsAddUpToFourAndQuestionMarksFromTwo() {
        assertEquals(VaderLabeler.normalize(1.9 + 4 * 0.292), vader.score("good!!!!"), 1e-15);
        assertEquals(vader.score("good!!!!"), vader.score("good!!!!!!!"), 1e-15);
        assertEquals(VaderLabeler.normalize(1.9), vader.score("good?"), 1e-15);
        assertEquals(VaderLabeler.normalize(1.9 + 2 * 0.18), vader.score("good??"), 1e-15);
        assertEquals(VaderLabeler.normalize(1.9 + 0.96), vader.score("good?????"), 1e-15);
        assertEquals(VaderLabeler.normalize(-2.5 - 0.292), vader.score("bad!"), 1e-15);
    }

    @Test
    void theCompoundStaysWithinMinusOneAndOne() {
        String loud = "GREAT ".repeat(200) + "wonderful!!!!";
        String grim = "HORRIBLE ".repeat(200) + "awful!!!!";
        assertTrue(vader.score(loud) <= 1.0 && vader.score(loud) > 0.99);
        assertTrue(vader.score(grim) >= -1.0 && vader.score(grim) < -0.99);
        assertEquals(1 / Math.sqrt(1 + 15), VaderLabeler.normalize(1), 1e-15);
    }

    @Test
    void tokensLosePunctuationAtTheirEndsUnlessLittleWouldRemain() {
        assertEquals(List.of("Hello", "world", ":)", "by,", "I'll", "(ok)", "don't"),
                VaderLabeler.tokens("  \"Hello,  world!\" :) by, I'll (ok) don't... "));
    }

    @Test
    void capitalsFollowPythonsIsUpper() {
        assertTrue(VaderLabeler.isUpper("VADER"));
        assertTrue(VaderLabeler.isUpper("I"));
        assertTrue(VaderLabeler.isUpper(":D"));
        assertTrue(!VaderLabeler.isUpper("I'll"));
        assertTrue(!VaderLabeler.isUpper("!!!"));
        assertTrue(!VaderLabeler.isUpper(":)"));
    }

    @Test
    void theJarsLexiconIsReadWithTheLastEntryOfATokenWinning() {
        // the file lists "lol" twice, 2.9 then 1.8; the reference keeps the last
        assertEquals(VaderLabeler.normalize(1.8), vader.score("lol"), 1e-15);
        assertEquals(VaderLabeler.normalize(-1.5), vader.score("sux"), 1e-15);
    }

    @Test
    void aLexiconLineWithoutAValenceIsReportedWithItsNumber() {
        InputStream in = new ByteArrayInputStream("good\t1.9\t0.5\t[2]\r\n\r\nbad\n".getBytes(StandardCharsets.ISO_8859_1));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> VaderLabeler.readLexicon(in, "lex.txt"));
        assertEquals("lex.txt line 3: expected token<TAB>mean valence<TAB>..., got \"bad\"", e.getMessage());
    }

    @Test
    void aCustomLexiconIsUsedAsGiven() {
        VaderLabeler custom = new VaderLabeler(Map.of("meh", -0.3));
        assertEquals(VaderLabeler.normalize(-0.3), custom.score("meh"), 1e-15);
        assertEquals(0.0, custom.score("good"));
    }

    private static List<String[]> referenceScores() throws IOException {
        List<String[]> rows = new ArrayList<>();
        try (InputStream in = VaderLabelerTest.class.getResourceAsStream("vader_reference_scores.tsv");
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.startsWith("#") && !line.isEmpty()) {
                    rows.add(line.split("\t", 2));
                }
            }
        }
        return rows;
    }
}
