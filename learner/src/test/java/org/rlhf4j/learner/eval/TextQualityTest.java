package org.rlhf4j.learner.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.rlhf4j.tasks.sentiment.EnglishWords;

class TextQualityTest {
  private static final double Z = 1.959963984540054;

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** "good " and the first byte of "é": a byte-level model stopped inside a character. */
  private static final byte[] CUT = {'g', 'o', 'o', 'd', ' ', (byte) 0xC3};

  private static final List<byte[]> FIVE = List.of(utf8("the cat sat"), utf8("the cat"),
      utf8("a magdulention\u0003"), CUT, utf8("  "));

  @Test
  void validTextIsStrictUtf8WithoutControlCharactersButNewlineAndTab() {
    assertTrue(TextQuality.isValidText(utf8("caf\u00e9\tb\u00e4r\nok \ud83d\ude00")));
    assertTrue(TextQuality.isValidText(new byte[0]));
    assertFalse(TextQuality.isValidText(CUT), "a cut character");
    assertFalse(TextQuality.isValidText(new byte[] {(byte) 0xC0, (byte) 0x80}), "overlong NUL");
    assertFalse(TextQuality.isValidText(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}),
        "a UTF-16 surrogate");
    assertFalse(TextQuality.isValidText(utf8("a\u0003b")), "ETX");
    assertFalse(TextQuality.isValidText(utf8("a\rb")), "carriage return");
    assertFalse(TextQuality.isValidText(utf8("a\u0085b")), "C1 next line");
  }

  @Test
  void wordsAreRunsOfNonWhitespace() {
    assertEquals(List.of("a", "good,", "day!"), TextQuality.words(" a\tgood,\n day! "));
    assertEquals(List.of(), TextQuality.words("   "));
  }

  @Test
  void distinctNCountsDistinctNGramsOverAllNGramsWithinCompletions() {
    List<List<String>> completions = List.of(List.of("a", "good", "a", "good"),
        List.of("a", "good"), List.of("bad"));
    // unigrams: 4 + 2 + 1 = 7, distinct {a, good, bad} = 3
    assertEquals(3.0 / 7, TextQuality.distinct(completions, 1), 1e-15);
    // bigrams: (a good) (good a) (a good) | (a good) | none: 4, distinct 2; none crosses "good bad"
    assertEquals(2.0 / 4, TextQuality.distinct(completions, 2), 1e-15);
    assertTrue(Double.isNaN(TextQuality.distinct(List.of(List.of("one")), 2)));
  }

  @Test
  void fiveCompletionsByHand() {
    TextQuality q = TextQuality.of(FIVE, EnglishWords.get());
    assertEquals(5, q.completions());
    // invalid: the control character and the cut character, 2 of 5, Wilson's interval
    assertEquals(0.4, q.invalidText().mean(), 1e-15);
    assertEquals(0.11762077423264783, q.invalidText().low(), 1e-12);
    assertEquals(0.769275718723987, q.invalidText().high(), 1e-12);
    // words: [the cat sat] [the cat] [a magdulention\u0003] [good \uFFFD] []: 9
    // distinct-1: the, cat, sat, a, magdulention\u0003, good, \uFFFD = 7 of 9
    assertEquals(7.0 / 9, q.distinct1(), 1e-15);
    // distinct-2: (the cat) (cat sat) (the cat) (a magdulention\u0003) (good \uFFFD): 4 of 5
    assertEquals(4.0 / 5, q.distinct2(), 1e-15);
    // real words per completion (real, words): (3, 3) (2, 2) (1, 2) (1, 2) (0, 0); R = 7/9;
    // residuals 2/3, 4/9, −5/9, −5/9, 0 square to 102/81; √(102/81 / 20) / 1.8 · Z = 0.27322357
    assertEquals(9, q.words());
    MeanInterval real = q.realWords().orElseThrow();
    assertEquals(7.0 / 9, real.mean(), 1e-15);
    assertEquals(7.0 / 9 - 0.2732235718252734, real.low(), 1e-12);
    assertEquals(7.0 / 9 + 0.2732235718252734, real.high(), 1e-12);
  }

  @Test
  void punctuationIsNoWordAndCompletionsWithoutWordsHaveNoRealWordShare() {
    TextQuality q = TextQuality.of(List.of(utf8("-- ..."), utf8("")), EnglishWords.get());
    assertEquals(0, q.words());
    assertEquals(Optional.empty(), q.realWords());
    assertEquals(0.0, q.invalidText().mean());
    assertEquals(1.0, q.distinct1(), "two punctuation tokens, both distinct");
  }

  @Test
  void aModelThatRepeatsOneWordOrWritesBytesIsWorseThanItsBaseline() {
    TextQuality baseline = TextQuality.of(List.of(utf8("the cat sat"), utf8("a dog ran home")),
        EnglishWords.get());
    TextQuality repeats = TextQuality.of(List.of(utf8("good good good"), utf8("good good")),
        EnglishWords.get());
    TextQuality bytes = TextQuality.of(List.of(CUT, utf8("the \ufffd\ufffd")), EnglishWords.get());
    assertEquals(List.of(), baseline.worseThan(baseline));
    // baseline distinct-2 = 5 / 5 = 1; repeating: 1 distinct of 3 bigrams
    assertEquals(List.of("distinct-2 0.33 (baseline 1.00)"), repeats.worseThan(baseline));
    assertEquals(List.of("invalid text 50.0% (baseline 0.0%)", "real words 50.0% (baseline 100.0%)"),
        bytes.worseThan(baseline));
  }

  @Test
  void realWordsJudgeTheWordAPromptWentOnWithAndLeaveOutAWordTheLengthLimitCut() {
    List<TextQuality.Written> written = List.of(
        // "fear" + "ating" is one word the model made, and not English; "to the" are
        new TextQuality.Written(utf8("ating to the"), "pandemic fear", false),
        // "prob" + "lem" is "problem"; the limit cut "comple" mid-word: not counted
        new TextQuality.Written(utf8("lem is comple"), "the prob", true),
        // a cut after a space ends no word early: "good" counts
        new TextQuality.Written(utf8(" a good "), "it was", true),
        // the model's own end: "comple" is its last word, and not English
        new TextQuality.Written(utf8(" comple"), "it was", false));
    TextQuality q = TextQuality.ofWritten(written, EnglishWords.get());
    // counted: fearating to the | problem is | a good | comple = 8 words, 6 English
    assertEquals(8, q.words());
    assertEquals(6.0 / 8, q.realWords().orElseThrow().mean(), 1e-15);
    // distinct-n reads the completions alone: 3 + 3 + 2 + 1 = 9 words, all distinct but "comple"
    assertEquals(8.0 / 9, q.distinct1(), 1e-15);
  }
}
