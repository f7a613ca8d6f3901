package org.rlhf4j.learner.collect;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.rlhf4j.learner.ProgressListener;
import org.rlhf4j.learner.collect.CollectedComparisons.RankedResponses;
import org.rlhf4j.learner.collect.CollectedComparisons.ScoredResponse;
import org.rlhf4j.learner.collect.CollectedComparisons.Summary;
import org.rlhf4j.learner.preference.Rankings;
import org.rlhf4j.model.tokenizer.Tokenizer;
import org.rlhf4j.rollout.GenerationEngine;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.Response;
import org.rlhf4j.tasks.data.PreferenceExample;
import org.rlhf4j.tasks.sentiment.Labeler;
import org.rlhf4j.tasks.sentiment.SimulatedHuman;

/**
 * Collects comparisons as InstructGPT did (Ouyang et al., 2022): K responses per prompt sampled
 * from a policy, ranked, and every ranking expanded into its K·(K−1)/2 (chosen, rejected) pairs.
 *
 * <p>The annotator is a {@link Ranker} working on gold scores: {@link ScoreRanker} (the gold
 * labeler's order, deterministic) or {@link PlackettLuceRanker} (a simulated human's noisy,
 * seeded order). A response's gold score is the labeler's score of prompt + response text, the
 * texts as they are written to the file, so anyone can recompute it from the file; the sentiment
 * task judges the whole text.
 *
 * <p>A pair is skipped, and counted, when its two response texts are equal (no preference to
 * learn), one is empty (TRL's format has no empty completions), or, if the plan drops ties, its
 * two gold scores are equal. The same plan, prompts and
 * ranker give the same comparisons, byte for byte once written. A collector is immutable; each
 * {@link #collect} call uses its own generation engine, so calls may run on several threads.
 */
public final class ComparisonCollector {
  /** The progress metric: pairs written so far. */
  public static final String PAIRS_METRIC = "collect/pairs";

  private final PolicySnapshot policy;
  private final Tokenizer tokenizer;
  private final Labeler labeler;
  private final Ranker ranker;
  private final CollectionPlan plan;

  /**
   * A collector sampling from {@code policy}, scoring with {@code labeler} and ranking with
   * {@code ranker}.
   *
   * @throws IllegalArgumentException if the tokenizer's vocabulary does not fit the model's
   */
  public ComparisonCollector(PolicySnapshot policy, Tokenizer tokenizer, Labeler labeler,
      Ranker ranker, CollectionPlan plan) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    this.labeler = Objects.requireNonNull(labeler, "labeler");
    this.ranker = Objects.requireNonNull(ranker, "ranker");
    this.plan = Objects.requireNonNull(plan, "plan");
    int vocab = policy.model().config().vocabSize();
    if (tokenizer.vocabSize() > vocab) {
      throw new IllegalArgumentException("the " + tokenizer.name() + " tokenizer's "
          + tokenizer.vocabSize() + " tokens do not fit the model's vocabulary of " + vocab);
    }
  }

  /** A collector ranking by {@code labeler}'s scores directly ({@link ScoreRanker}). */
  public static ComparisonCollector byGoldScore(PolicySnapshot policy, Tokenizer tokenizer,
      Labeler labeler, CollectionPlan plan) {
    return new ComparisonCollector(policy, tokenizer, labeler, new ScoreRanker(), plan);
  }

  /**
   * A collector ranking as {@code human} would: Plackett–Luce on its labeler's scores, with its
   * temperature and seed ({@link PlackettLuceRanker#of}).
   */
  public static ComparisonCollector bySimulatedHuman(PolicySnapshot policy, Tokenizer tokenizer,
      SimulatedHuman human, CollectionPlan plan) {
    return new ComparisonCollector(policy, tokenizer, human.labeler(),
        PlackettLuceRanker.of(human), plan);
  }

  /** {@link #collect(List, ProgressListener)} without progress reports. */
  public CollectedComparisons collect(List<String> prompts) {
    return collect(prompts, ProgressListener.none());
  }

  /**
   * Samples K responses to each prompt, ranks them and expands the rankings into pairs. After
   * every generation call {@code progress} hears prompts done of prompts in all, with
   * {@link #PAIRS_METRIC} pairs written so far.
   *
   * @throws IllegalArgumentException if there is no prompt, a prompt with the new tokens exceeds
   *     the model's context length, or the labeler gives a score that is not a finite number
   */
  public CollectedComparisons collect(List<String> prompts, ProgressListener progress) {
    Objects.requireNonNull(progress, "progress");
    // 1. encode the prompts and check they fit
    List<int[]> promptIds = encode(prompts);
    int k = plan.responsesPerPrompt();
    GenerationEngine engine = new GenerationEngine(plan.seed(), tokenizer.padId());
    Tally tally = new Tally();
    List<PreferenceExample> examples = new ArrayList<>();
    List<RankedResponses> rankings = new ArrayList<>(prompts.size());
    for (int from = 0; from < prompts.size(); from += plan.promptsPerBatch()) {
      int to = Math.min(prompts.size(), from + plan.promptsPerBatch());
      // 2. K rows per prompt, all sampled in one call
      List<int[]> rows = new ArrayList<>((to - from) * k);
      for (int q = from; q < to; q++) {
        for (int j = 0; j < k; j++) {
          rows.add(promptIds.get(q));
        }
      }
      List<Response> responses = engine.generate(policy, rows, plan.sampling());
      for (int q = from; q < to; q++) {
        // 3. decode and score, 4. rank, 5. expand into pairs
        List<ScoredResponse> scored = score(q, prompts.get(q),
            responses.subList((q - from) * k, (q - from + 1) * k));
        int[] order = rank(q, scored);
        rankings.add(ranked(prompts.get(q), scored, order));
        expand(prompts.get(q), scored, order, plan.dropTies(), tally, examples);
      }
      // 6. progress
      progress.onStep(to, prompts.size(), PAIRS_METRIC, examples.size());
    }
    return new CollectedComparisons(examples, rankings, tally.summary(prompts.size(), k));
  }

  /** The policy sampled from. */
  public PolicySnapshot policy() {
    return policy;
  }

  /** The gold labeler. */
  public Labeler labeler() {
    return labeler;
  }

  /** The annotator. */
  public Ranker ranker() {
    return ranker;
  }

  public CollectionPlan plan() {
    return plan;
  }

  private List<int[]> encode(List<String> prompts) {
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("no prompts to collect comparisons for");
    }
    int context = policy.model().config().contextLength();
    int maxNew = plan.sampling().maxNewTokens();
    List<int[]> ids = new ArrayList<>(prompts.size());
    for (int q = 0; q < prompts.size(); q++) {
      int[] p = CollectedComparisons.promptIds(
          Objects.requireNonNull(prompts.get(q), "prompt " + q), tokenizer);
      if (p.length + maxNew > context) {
        throw new IllegalArgumentException("prompt " + q + " has " + p.length + " tokens; with "
            + maxNew + " new tokens that exceeds the model's context length of " + context);
      }
      ids.add(p);
    }
    return ids;
  }

  private List<ScoredResponse> score(int q, String prompt, List<Response> responses) {
    List<ScoredResponse> out = new ArrayList<>(responses.size());
    for (int j = 0; j < responses.size(); j++) {
      int[] ids = responses.get(j).responseIds();
      String text = tokenizer.decode(ids, 0, ids.length, Tokenizer.Specials.SKIP);
      double score = labeler.score(prompt + text);
      if (!Double.isFinite(score)) {
        throw new IllegalArgumentException("the labeler scored " + score + " for response " + j
            + " to prompt " + q + ": \"" + prompt + text + "\"; expected a finite number");
      }
      out.add(new ScoredResponse(j, text, score));
    }
    return out;
  }

  private int[] rank(int q, List<ScoredResponse> scored) {
    double[] scores = new double[scored.size()]; // (K)
    for (int j = 0; j < scores.length; j++) {
      scores[j] = scored.get(j).score();
    }
    return ranker.rank(q, scores);
  }

  private static RankedResponses ranked(String prompt, List<ScoredResponse> scored, int[] order) {
    List<ScoredResponse> bestFirst = new ArrayList<>(order.length);
    for (int j : order) {
      bestFirst.add(scored.get(j));
    }
    return new RankedResponses(prompt, bestFirst);
  }

  /**
   * Adds the pairs of one ranking ({@code order}: sample indices, best first) to {@code out} in
   * rank order, skipping identical and empty ones; {@link Rankings#pairs} also checks that the
   * ranker returned each index once.
   */
  private static void expand(String prompt, List<ScoredResponse> scored, int[] order,
      boolean dropTies, Tally tally, List<PreferenceExample> out) {
    for (Rankings.Pair pair : Rankings.pairs(order)) {
      ScoredResponse chosen = scored.get(pair.chosen());
      ScoredResponse rejected = scored.get(pair.rejected());
      if (chosen.text().equals(rejected.text())) {
        tally.identical++;
      } else if (chosen.text().isEmpty() || rejected.text().isEmpty()) {
        tally.empty++;
      } else if (dropTies && chosen.score() == rejected.score()) {
        tally.tiedDropped++;
      } else {
        out.add(new PreferenceExample(prompt, chosen.text(), rejected.text()));
        tally.written(chosen.score(), rejected.score());
      }
    }
  }

  /** Running counts of one collection. */
  private static final class Tally {
    long identical;
    long empty;
    long written;
    long tied;
    long tiedDropped;
    long agreeing;
    double chosenSum;
    double rejectedSum;

    void written(double chosen, double rejected) {
      written++;
      chosenSum += chosen;
      rejectedSum += rejected;
      if (chosen == rejected) {
        tied++;
      } else if (chosen > rejected) {
        agreeing++;
      }
    }

    Summary summary(long prompts, int k) {
      long untied = written - tied;
      return new Summary(prompts, prompts * k, written, identical, empty, tied, tiedDropped,
          written == 0 ? Double.NaN : chosenSum / written,
          written == 0 ? Double.NaN : rejectedSum / written,
          untied == 0 ? Double.NaN : (double) agreeing / untied);
    }
  }
}
