package org.rlhf4j.learner.collect;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.rlhf4j.learner.PreferencePair;
import org.rlhf4j.model.tokenizer.Tokenizer;
import org.rlhf4j.tasks.data.DataFileException;
import org.rlhf4j.tasks.data.JsonlWriter;
import org.rlhf4j.tasks.data.PreferenceExample;

/**
 * What {@link ComparisonCollector#collect} gathered: the preference pairs in TRL's format (prompt
 * separate from the completions), every prompt's ranked responses, and a summary.
 *
 * @param examples the pairs, prompt by prompt, each prompt's in rank order (1st vs 2nd, 1st vs 3rd,
 *     …, 2nd vs 3rd, …), without those skipped; unmodifiable
 * @param rankings each prompt's K responses, best first, in prompt order; unmodifiable
 * @param summary the counts and mean gold scores
 */
public record CollectedComparisons(List<PreferenceExample> examples,
    List<RankedResponses> rankings, Summary summary) {

  /**
   * One sampled response.
   *
   * @param sample its position among its prompt's K samples, in sampling order
   * @param text the response's text, special tokens skipped
   * @param score the gold score of prompt + text
   */
  public record ScoredResponse(int sample, String text, double score) {
    public ScoredResponse {
      Objects.requireNonNull(text, "text");
    }
  }

  /** One prompt and its K responses, best first; {@code bestFirst} is unmodifiable. */
  public record RankedResponses(String prompt, List<ScoredResponse> bestFirst) {
    public RankedResponses {
      Objects.requireNonNull(prompt, "prompt");
      bestFirst = List.copyOf(bestFirst);
    }
  }

  /**
   * Counts and gold scores of a collection. Every prompt's K·(K−1)/2 pairs are either written or
   * skipped: {@code pairsWritten + identicalPairsSkipped + emptyPairsSkipped + tiedPairsDropped}
   * {@code = prompts · K·(K−1)/2}.
   *
   * @param prompts prompts sampled from
   * @param samples responses sampled, K per prompt
   * @param pairsWritten pairs kept as examples
   * @param identicalPairsSkipped pairs whose two response texts are equal: no preference to learn
   * @param emptyPairsSkipped pairs with different texts, one of them empty (the response was only
   *     special tokens): TRL's format has no empty completions
   * @param tiedPairs written pairs whose two gold scores are equal, ordered by the ranker alone
   *     (0 when the plan drops ties)
   * @param tiedPairsDropped pairs with different texts and equal gold scores, dropped as ties
   * @param meanChosenScore the mean gold score of the written pairs' chosen responses; NaN if none
   * @param meanRejectedScore the same for the rejected responses; NaN if none
   * @param goldAgreement of the written pairs with different gold scores, the fraction whose chosen
   *     response scores higher: 1 for {@link ScoreRanker}, about 1/2 for a very noisy annotator;
   *     NaN if there is no such pair
   */
  public record Summary(long prompts, long samples, long pairsWritten, long identicalPairsSkipped,
      long emptyPairsSkipped, long tiedPairs, long tiedPairsDropped, double meanChosenScore,
      double meanRejectedScore, double goldAgreement) {

    /** One line for a log or the console. */
    public String describe() {
      return String.format(Locale.ROOT, "%d pairs from %d prompts × %d samples (skipped %d "
          + "identical, %d empty, %d tied; kept %d tied); gold score chosen %.4f vs rejected "
          + "%.4f, agreement %.3f",
          pairsWritten, prompts, prompts == 0 ? 0 : samples / prompts, identicalPairsSkipped,
          emptyPairsSkipped, tiedPairsDropped, tiedPairs, meanChosenScore, meanRejectedScore,
          goldAgreement);
    }
  }

  public CollectedComparisons {
    examples = List.copyOf(examples);
    rankings = List.copyOf(rankings);
    Objects.requireNonNull(summary, "summary");
  }

  /**
   * Replaces {@code file} with the examples as preference JSONL ({@code {"prompt", "chosen",
   * "rejected"}} per line), atomically; {@code JsonlReader.preferences()} reads them back equal.
   * Returns how many were written.
   *
   * @throws DataFileException if there is no example (every pair was skipped) or the file cannot be
   *     written; either way {@code file} is unchanged
   */
  public long write(Path file) {
    return JsonlWriter.preferences().write(file, examples);
  }

  /**
   * The examples as token ids, the way preference files are fed to the trainers: the prompt
   * encoded (an empty prompt as a lone EOS, GPT-2's start of text), each response encoded with EOS
   * appended. Training on these equals training on the file {@link #write} makes.
   */
  public List<PreferencePair> pairs(Tokenizer tokenizer) {
    List<PreferencePair> out = new ArrayList<>(examples.size());
    for (PreferenceExample e : examples) {
      out.add(new PreferencePair(promptIds(e.prompt(), tokenizer),
          responseIds(e.chosen(), tokenizer), responseIds(e.rejected(), tokenizer),
          e.margin().orElse(0)));
    }
    return out;
  }

  /** The ids a prompt is sampled from: its encoding, or a lone EOS if that is empty. */
  static int[] promptIds(String prompt, Tokenizer tokenizer) {
    int[] ids = tokenizer.encode(prompt);
    return ids.length == 0 ? new int[] {tokenizer.eosId()} : ids;
  }

  private static int[] responseIds(String response, Tokenizer tokenizer) {
    int[] ids = tokenizer.encode(response);
    int[] withEos = Arrays.copyOf(ids, ids.length + 1);
    withEos[ids.length] = tokenizer.eosId();
    return withEos;
  }
}
