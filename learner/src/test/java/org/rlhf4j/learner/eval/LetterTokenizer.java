package org.rlhf4j.learner.eval;

import java.util.Map;
import org.rlhf4j.model.tokenizer.Tokenizer;

/**
 * One token per letter of a small alphabet ({@code "abc"} → ids 0, 1, 2) plus an end-of-text
 * token after them; pads with id 0 unless told otherwise, which is inside even the smallest test
 * model's vocabulary (padding is masked, so any id in it does).
 */
final class LetterTokenizer implements Tokenizer {
  private final String letters;
  private final int padId;

  LetterTokenizer(String letters) {
    this(letters, 0);
  }

  LetterTokenizer(String letters, int padId) {
    this.letters = letters;
    this.padId = padId;
  }

  @Override
  public int[] encode(String text) {
    int[] ids = new int[text.length()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = letters.indexOf(text.charAt(i));
      if (ids[i] < 0) {
        throw new IllegalArgumentException("'" + text.charAt(i) + "' is not one of " + letters);
      }
    }
    return ids;
  }

  @Override
  public String decode(int[] ids, int from, int to, Specials specials) {
    StringBuilder text = new StringBuilder();
    for (int i = from; i < to; i++) {
      if (ids[i] < letters.length()) {
        text.append(letters.charAt(ids[i]));
      } else if (specials == Specials.RENDER) {
        text.append("<|endoftext|>");
      }
    }
    return text.toString();
  }

  @Override
  public byte[] bytes(int[] ids, int from, int to) {
    return decode(ids, from, to, Specials.SKIP).getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Override
  public int vocabSize() {
    return letters.length() + 1;
  }

  @Override
  public int eosId() {
    return letters.length();
  }

  @Override
  public int padId() {
    return padId;
  }

  @Override
  public String name() {
    return "letters";
  }

  @Override
  public Map<String, Integer> specialTokens() {
    return Map.of("<|endoftext|>", eosId());
  }

  @Override
  public Map<String, String> describe() {
    return Map.of(KIND_KEY, name(), VOCAB_SIZE_KEY, Integer.toString(vocabSize()));
  }
}
