package org.rlhf4j.learner.eval;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.rlhf4j.tasks.sentiment.EnglishWords;

/**
 * Whether completions are still text: the share that is not valid text, their diversity
 * (distinct-1, distinct-2) and the share of their words that are English. A gold labeler can be
 * won by garbage (it scores non-text 0 and rewards one repeated sentiment word); these show it.
 *
 * <p>Definitions, over the completions' bytes (the response alone, special tokens left out):
 * <ul>
 *   <li><b>invalid text</b>: the share of completions whose bytes are not valid UTF-8 (decoded
 *       strictly: a byte-level tokenizer can stop inside a character) or that hold a control
 *       character (Unicode category Cc) other than {@code \n} and {@code \t}; a proportion of
 *       completions with Wilson's interval.</li>
 *   <li><b>distinct-n</b> (Li et al., "A Diversity-Promoting Objective Function for Neural
 *       Conversation Models", 2016, as commonly computed): distinct n-grams divided by all n-grams
 *       over all completions together. Words are runs of non-whitespace ({@link
 *       Character#isWhitespace}), as Python's {@code str.split()} gives them, case and punctuation
 *       kept; n-grams do not cross completions. NaN when no completion has n words. A corpus-level
 *       ratio, so no interval.</li>
 *   <li><b>real words</b>: of the words that {@link EnglishWords#normalize} leaves non-empty
 *       (a lone {@code "--"} is no word), the share that {@link EnglishWords#contains} finds;
 *       the ratio of the totals with {@link Statistics#ratioInterval}, each completion a cluster.
 *       Empty when the completions have no word.</li>
 * </ul>
 * Bytes that are not UTF-8 are read as U+FFFD for the word measures, as the report shows them.
 * Real words count the words the model wrote, as they read after the prompt: a completion that
 * goes on with the prompt's last word ({@code "pandemic fear"} + {@code "ating"}) is judged by the
 * whole word it made ({@code "fearating"}), and a last word the length limit cut off is left
 * out, since the model did not finish it ({@link Written}).
 *
 * @param completions how many completions were measured
 * @param invalidText the share of completions that are not valid text, with Wilson's interval
 * @param distinct1 distinct words / words
 * @param distinct2 distinct word pairs / word pairs
 * @param realWords the share of words that are English, or empty when there is no word
 * @param words how many words the completions hold
 */
public record TextQuality(int completions, MeanInterval invalidText, double distinct1,
    double distinct2, Optional<MeanInterval> realWords, int words) {

  /** Invalid text may exceed the baseline's by at most this share (1 point), issue 14's bound. */
  public static final double INVALID_TEXT_MARGIN = 0.01;
  /** Real words may fall below the baseline's by at most this share (5 points). */
  public static final double REAL_WORDS_MARGIN = 0.05;
  /** Distinct-2 may fall to this fraction of the baseline's, no lower. */
  public static final double DISTINCT2_FRACTION = 0.5;

  /**
   * One completion as a model wrote it.
   *
   * @param bytes the completion's UTF-8 bytes
   * @param prompt the text it continues ("" for none)
   * @param cut whether the length limit ended it (rather than the model's end token)
   */
  public record Written(byte[] bytes, String prompt, boolean cut) {}

  /** The text quality of {@code completions}, each the UTF-8 bytes a model wrote on its own. */
  public static TextQuality of(List<byte[]> completions, EnglishWords english) {
    return ofWritten(completions.stream().map(b -> new Written(b, "", false)).toList(), english);
  }

  /**
   * The text quality of {@code completions}.
   *
   * @throws IllegalArgumentException when there are no completions
   */
  public static TextQuality ofWritten(List<Written> written, EnglishWords english) {
    List<byte[]> completions = written.stream().map(Written::bytes).toList();
    if (completions.isEmpty()) {
      throw new IllegalArgumentException("text quality needs at least one completion");
    }
    int invalid = 0;
    List<List<String>> words = new ArrayList<>(completions.size());
    double[] real = new double[completions.size()];
    double[] counted = new double[completions.size()];
    for (int i = 0; i < completions.size(); i++) {
      byte[] bytes = completions.get(i);
      if (!isValidText(bytes)) {
        invalid++;
      }
      String text = new String(bytes, StandardCharsets.UTF_8);
      List<String> w = words(text);
      words.add(w);
      for (String token : wordsWritten(text, w, written.get(i))) {
        String word = EnglishWords.normalize(token);
        if (!word.isEmpty()) {
          counted[i]++;
          real[i] += english.contains(word) ? 1 : 0;
        }
      }
    }
    double wordCount = 0;
    for (double c : counted) {
      wordCount += c;
    }
    Optional<MeanInterval> realWords = wordCount > 0
        ? Optional.of(Statistics.ratioInterval(real, counted)) : Optional.empty();
    return new TextQuality(completions.size(), Statistics.wilson(invalid, completions.size()),
        distinct(words, 1), distinct(words, 2), realWords, (int) wordCount);
  }

  /**
   * Whether {@code utf8} is valid text: well-formed UTF-8 (no cut or overlong sequence, no
   * surrogate) without a control character other than {@code \n} and {@code \t}.
   */
  public static boolean isValidText(byte[] utf8) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(utf8))
          .toString();
    } catch (CharacterCodingException e) {
      return false;
    }
    return text.codePoints().noneMatch(c -> Character.getType(c) == Character.CONTROL
        && c != '\n' && c != '\t');
  }

  /**
   * The words of a completion as the model wrote them: the first joined to the prompt's last word
   * when it goes on with it, the last left out when the length limit cut it mid-word.
   */
  static List<String> wordsWritten(String text, List<String> words, Written w) {
    if (words.isEmpty()) {
      return words;
    }
    List<String> out = new ArrayList<>(words);
    boolean joined = !Character.isWhitespace(text.charAt(0)) && !w.prompt().isEmpty()
        && !Character.isWhitespace(w.prompt().charAt(w.prompt().length() - 1));
    if (joined) {
      List<String> promptWords = words(w.prompt());
      out.set(0, promptWords.get(promptWords.size() - 1) + out.get(0));
    }
    if (w.cut() && !Character.isWhitespace(text.charAt(text.length() - 1))) {
      out.remove(out.size() - 1);
    }
    return out;
  }

  /** The runs of non-whitespace of {@code text}, in order. */
  public static List<String> words(String text) {
    List<String> words = new ArrayList<>();
    int start = -1;
    for (int i = 0; i < text.length(); i++) {
      boolean space = Character.isWhitespace(text.charAt(i));
      if (space && start >= 0) {
        words.add(text.substring(start, i));
        start = -1;
      } else if (!space && start < 0) {
        start = i;
      }
    }
    if (start >= 0) {
      words.add(text.substring(start));
    }
    return words;
  }

  /**
   * Distinct n-grams over all n-grams of all {@code completions} (each a list of words), n-grams
   * within a completion only; NaN when there is no n-gram.
   */
  public static double distinct(List<List<String>> completions, int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n-grams need n >= 1, got " + n);
    }
    Set<List<String>> distinct = new HashSet<>();
    long total = 0;
    for (List<String> words : completions) {
      for (int i = 0; i + n <= words.size(); i++) {
        distinct.add(List.copyOf(words.subList(i, i + n)));
        total++;
      }
    }
    return total == 0 ? Double.NaN : (double) distinct.size() / total;
  }

  /**
   * How these completions write worse than {@code baseline}'s, one phrase per bound broken
   * (invalid text above the baseline's by more than {@value #INVALID_TEXT_MARGIN}, real words
   * below by more than {@value #REAL_WORDS_MARGIN}, distinct-2 under {@value #DISTINCT2_FRACTION}
   * of the baseline's); empty when none is. A measure undefined on either side is not compared.
   */
  public List<String> worseThan(TextQuality baseline) {
    List<String> problems = new ArrayList<>();
    if (invalidText.mean() > baseline.invalidText.mean() + INVALID_TEXT_MARGIN) {
      problems.add("invalid text " + percent(invalidText.mean()) + " (baseline "
          + percent(baseline.invalidText.mean()) + ")");
    }
    if (realWords.isPresent() && baseline.realWords.isPresent()
        && realWords.get().mean() < baseline.realWords.get().mean() - REAL_WORDS_MARGIN) {
      problems.add("real words " + percent(realWords.get().mean()) + " (baseline "
          + percent(baseline.realWords.get().mean()) + ")");
    }
    if (distinct2 < DISTINCT2_FRACTION * baseline.distinct2) {
      problems.add(String.format(Locale.ROOT, "distinct-2 %.2f (baseline %.2f)", distinct2,
          baseline.distinct2));
    }
    return problems;
  }

  private static String percent(double share) {
    return String.format(Locale.ROOT, "%.1f%%", 100 * share);
  }
}
