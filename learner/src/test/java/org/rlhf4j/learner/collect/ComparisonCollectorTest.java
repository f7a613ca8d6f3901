package org.rlhf4j.learner.collect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.learner.PreferencePair;
import org.rlhf4j.learner.collect.CollectedComparisons.RankedResponses;
import org.rlhf4j.learner.collect.CollectedComparisons.ScoredResponse;
import org.rlhf4j.learner.collect.CollectedComparisons.Summary;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.kernels.VectorKernels;
import org.rlhf4j.model.tokenizer.ByteTokenizer;
import org.rlhf4j.model.tokenizer.Tokenizer;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;
import org.rlhf4j.tasks.data.DataFileException;
import org.rlhf4j.tasks.data.JsonlReader;
import org.rlhf4j.tasks.data.PreferenceExample;
import org.rlhf4j.tasks.sentiment.Labeler;
import org.rlhf4j.tasks.sentiment.SimulatedHuman;

class ComparisonCollectorTest {
  private static final ModelConfig TINY = new ModelConfig(260, 32, 16, 1, 2, 1e-5);
  private static final Gpt GPT = new Gpt(TINY, EnumSet.noneOf(Head.class), new VectorKernels());
  private static final PolicySnapshot POLICY =
      PolicySnapshot.freeze(GPT, GPT.initialParameters(1, DataType.FLOAT), 0);
  private static final Tokenizer TOKENIZER = new ByteTokenizer();
  /** Random bytes' ASCII share, about a half: a count with many ties between responses. */
  private static final Labeler ASCII_COUNT = text -> text.chars().filter(c -> c < 128).count();
  /** A score in [0, 1] that practically never ties between two different texts. */
  private static final Labeler HASHED =
      text -> (text.hashCode() & 0x7fffffff) / (double) Integer.MAX_VALUE;
  private static final SamplingSettings SAMPLING =
      SamplingSettings.multinomial(8, ByteTokenizer.EOS);

  private static List<String> prompts(int n) {
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(i % 5 == 0 ? "" : "prompt " + i + ":");
    }
    return out;
  }

  private static CollectedComparisons byLabeler(Labeler labeler, CollectionPlan plan, int n) {
    return ComparisonCollector.byGoldScore(POLICY, TOKENIZER, labeler, plan).collect(prompts(n));
  }

  @Test
  void fourResponsesPerPromptGiveSixPairsLessTheSkippedOnes() {
    // two tokens at a low temperature: some responses repeat, a lone byte >= 128 and a different
    // one both decode to U+FFFD, and a response that is only EOS is empty
    SamplingSettings repetitive = new SamplingSettings(0.05, 0, 1.0, false, 2,
        new int[] {ByteTokenizer.EOS});
    CollectedComparisons c = byLabeler(ASCII_COUNT, CollectionPlan.of(repetitive, 1), 20);
    List<PreferenceExample> examples = c.examples();
    int at = 0;
    long identical = 0;
    for (RankedResponses r : c.rankings()) {
      assertEquals(4, r.bestFirst().size());
      int expected = 0;
      for (int i = 0; i < 4; i++) {
        for (int j = i + 1; j < 4; j++) {
          String a = r.bestFirst().get(i).text();
          String b = r.bestFirst().get(j).text();
          if (a.equals(b)) {
            identical++;
          } else if (!a.isEmpty() && !b.isEmpty()) {
            // pairs come in rank order: (1st, 2nd), (1st, 3rd), ..., (2nd, 3rd), ...
            assertEquals(new PreferenceExample(r.prompt(), a, b), examples.get(at + expected));
            expected++;
          }
        }
      }
      at += expected;
    }
    assertEquals(examples.size(), at);
    Summary s = c.summary();
    assertEquals(20, s.prompts());
    assertEquals(80, s.samples());
    assertEquals(examples.size(), s.pairsWritten());
    assertEquals(identical, s.identicalPairsSkipped());
    assertEquals(6 * 20, s.pairsWritten() + s.identicalPairsSkipped() + s.emptyPairsSkipped());
    assertTrue(s.identicalPairsSkipped() > 0 && s.emptyPairsSkipped() > 0,
        "the case should exercise both skips: " + s.describe());
  }

  @Test
  void rankedByTheLabelerEveryChosenResponseScoresAtLeastTheRejected() {
    CollectedComparisons c = byLabeler(ASCII_COUNT, CollectionPlan.of(SAMPLING, 2), 30);
    for (PreferenceExample e : c.examples()) {
      double chosen = ASCII_COUNT.score(e.prompt() + e.chosen());
      double rejected = ASCII_COUNT.score(e.prompt() + e.rejected());
      assertTrue(chosen >= rejected, e + ": " + chosen + " < " + rejected);
    }
    // ties keep sampling order
    for (RankedResponses r : c.rankings()) {
      for (int i = 1; i < r.bestFirst().size(); i++) {
        ScoredResponse better = r.bestFirst().get(i - 1);
        ScoredResponse worse = r.bestFirst().get(i);
        assertTrue(better.score() > worse.score()
            || better.score() == worse.score() && better.sample() < worse.sample(), r.toString());
      }
    }
    Summary s = c.summary();
    assertTrue(s.tiedPairs() > 0, "the count labeler should give ties: " + s.describe());
    assertEquals(1.0, s.goldAgreement());
    assertTrue(s.meanChosenScore() > s.meanRejectedScore(), s.describe());
    double chosenSum = 0;
    for (PreferenceExample e : c.examples()) {
      chosenSum += ASCII_COUNT.score(e.prompt() + e.chosen());
    }
    assertEquals(chosenSum / c.examples().size(), s.meanChosenScore(), 1e-12);
  }

  @Test
  void droppingTiesKeepsOnlyPairsWithAGoldDifferenceAndCountsTheRest() {
    CollectionPlan plan = CollectionPlan.of(SAMPLING, 2);
    Summary kept = byLabeler(ASCII_COUNT, plan, 30).summary();
    CollectedComparisons c = byLabeler(ASCII_COUNT, plan.withDropTies(true), 30);
    Summary s = c.summary();

    for (PreferenceExample e : c.examples()) {
      assertTrue(ASCII_COUNT.score(e.prompt() + e.chosen())
          > ASCII_COUNT.score(e.prompt() + e.rejected()), e.toString());
    }
    assertEquals(0, s.tiedPairs());
    assertEquals(kept.tiedPairs(), s.tiedPairsDropped(), "the same samples, the ties dropped");
    assertEquals(kept.pairsWritten() - kept.tiedPairs(), s.pairsWritten());
    assertEquals(30L * plan.pairsPerPrompt(), s.pairsWritten() + s.identicalPairsSkipped()
        + s.emptyPairsSkipped() + s.tiedPairsDropped());
  }

  @Test
  void theWrittenFileReadsBackAsTheSameExamples(@TempDir Path dir) {
    CollectedComparisons c = byLabeler(HASHED, CollectionPlan.of(SAMPLING, 4), 10);
    Path file = dir.resolve("comparisons.jsonl");
    assertEquals(c.examples().size(), c.write(file));
    assertEquals(c.examples(), JsonlReader.preferences().readAll(file));
  }

  @Test
  void theSameSeedWritesTheSameBytesAndAnotherSeedOtherBytes(@TempDir Path dir)
      throws IOException {
    CollectionPlan plan = CollectionPlan.of(SAMPLING, 5);
    byLabeler(HASHED, plan, 12).write(dir.resolve("a.jsonl"));
    byLabeler(HASHED, plan, 12).write(dir.resolve("b.jsonl"));
    byLabeler(HASHED, plan.withSeed(6), 12).write(dir.resolve("c.jsonl"));
    byte[] a = Files.readAllBytes(dir.resolve("a.jsonl"));
    assertArrayEquals(a, Files.readAllBytes(dir.resolve("b.jsonl")));
    assertFalse(Arrays.equals(a, Files.readAllBytes(dir.resolve("c.jsonl"))));
  }

  @Test
  void aSimulatedHumanAtVeryLowTemperatureRanksAsTheLabeler() {
    CollectionPlan plan = CollectionPlan.of(SAMPLING, 7);
    CollectedComparisons gold = byLabeler(HASHED, plan, 30);
    CollectedComparisons human = ComparisonCollector.bySimulatedHuman(POLICY, TOKENIZER,
        new SimulatedHuman(HASHED, 1e-12, 8), plan).collect(prompts(30));
    assertEquals(0, gold.summary().tiedPairs(), "the hashed labeler should not tie");
    assertEquals(gold.examples(), human.examples());
    assertEquals(gold.summary(), human.summary());
  }

  @Test
  void aSimulatedHumanAtHighTemperaturePrefersTheBetterResponseAboutHalfTheTime() {
    int prompts = 200;
    CollectedComparisons c = ComparisonCollector.bySimulatedHuman(POLICY, TOKENIZER,
        new SimulatedHuman(HASHED, 1e6, 9), CollectionPlan.of(SAMPLING, 10)).collect(
            prompts(prompts));
    // scores lie in [0, 1], so at T = 1e6 every ranking is a uniform permutation: the concordant
    // share of a prompt's 6 pairs has variance Var(inversions) / 36 = (4·3·13 / 72) / 36 ≈ 0.060;
    // bound the mean over the prompts at 5 standard deviations
    double bound = 5 * Math.sqrt((4 * 3 * 13 / 72.0) / 36 / prompts);
    double agreement = c.summary().goldAgreement();
    System.out.printf("high-temperature human: %s (bound 0.5 ± %.3f)%n", c.summary().describe(),
        bound);
    assertEquals(0.5, agreement, bound);
  }

  @Test
  void greedySamplingMakesEveryPairIdenticalAndLeavesNothingToWrite(@TempDir Path dir) {
    SamplingSettings greedy = new SamplingSettings(1.0, 0, 1.0, true, 8,
        new int[] {ByteTokenizer.EOS});
    CollectedComparisons c = byLabeler(ASCII_COUNT, CollectionPlan.of(greedy, 1), 6);
    assertEquals(List.of(), c.examples());
    assertEquals(36, c.summary().identicalPairsSkipped());
    assertTrue(Double.isNaN(c.summary().meanChosenScore()));
    Path file = dir.resolve("none.jsonl");
    assertThrows(DataFileException.class, () -> c.write(file));
    assertFalse(Files.exists(file));
  }

  @Test
  void progressIsReportedAfterEveryGenerationCall() {
    List<long[]> calls = new ArrayList<>();
    List<Double> metrics = new ArrayList<>();
    CollectedComparisons c = ComparisonCollector.byGoldScore(POLICY, TOKENIZER, HASHED,
        CollectionPlan.of(SAMPLING, 1).withPromptsPerBatch(2)).collect(prompts(5),
            (done, total, name, metric) -> {
              assertEquals(ComparisonCollector.PAIRS_METRIC, name);
              calls.add(new long[] {done, total});
              metrics.add(metric);
            });
    assertEquals(3, calls.size());
    assertArrayEquals(new long[] {2, 5}, calls.get(0));
    assertArrayEquals(new long[] {4, 5}, calls.get(1));
    assertArrayEquals(new long[] {5, 5}, calls.get(2));
    assertTrue(metrics.get(0) <= metrics.get(1) && metrics.get(1) <= metrics.get(2));
    assertEquals(c.summary().pairsWritten(), metrics.get(2), 0.0);
  }

  @Test
  void tokenizedPairsAreTheWrittenTextsWithEos() {
    CollectedComparisons c = byLabeler(HASHED, CollectionPlan.of(SAMPLING, 13), 5);
    List<PreferencePair> pairs = c.pairs(TOKENIZER);
    assertEquals(c.examples().size(), pairs.size());
    for (int i = 0; i < pairs.size(); i++) {
      PreferenceExample e = c.examples().get(i);
      PreferencePair p = pairs.get(i);
      int[] prompt = e.prompt().isEmpty() ? new int[] {ByteTokenizer.EOS}
          : TOKENIZER.encode(e.prompt());
      assertArrayEquals(prompt, p.prompt());
      assertEquals(ByteTokenizer.EOS, p.chosen()[p.chosen().length - 1]);
      assertEquals(ByteTokenizer.EOS, p.rejected()[p.rejected().length - 1]);
      assertEquals(e.chosen(), TOKENIZER.decode(p.chosen(), 0, p.chosen().length - 1));
      assertEquals(e.rejected(), TOKENIZER.decode(p.rejected(), 0, p.rejected().length - 1));
      assertEquals(0.0, p.margin());
    }
  }

  @Test
  void aPromptTooLongForTheContextIsRejectedByItsPosition() {
    ComparisonCollector collector = ComparisonCollector.byGoldScore(POLICY, TOKENIZER, HASHED,
        CollectionPlan.of(SAMPLING, 1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> collector.collect(List.of("fine", "x".repeat(25))));
    assertTrue(e.getMessage().contains("prompt 1 has 25 tokens"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> collector.collect(List.of()));
  }

  @Test
  void aLabelerScoreThatIsNotANumberIsRejected() {
    ComparisonCollector collector = ComparisonCollector.byGoldScore(POLICY, TOKENIZER,
        text -> Double.NaN, CollectionPlan.of(SAMPLING, 1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> collector.collect(prompts(2)));
    assertTrue(e.getMessage().contains("scored NaN for response 0 to prompt 0"), e.getMessage());
  }

  @Test
  void aRankerThatDoesNotReturnEachResponseOnceIsRejected() {
    ComparisonCollector collector = new ComparisonCollector(POLICY, TOKENIZER, HASHED,
        (prompt, scores) -> new int[] {0, 0, 1, 2}, CollectionPlan.of(SAMPLING, 1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> collector.collect(prompts(1)));
    assertTrue(e.getMessage().contains("[0, 0, 1, 2]"), e.getMessage());
  }

  @Test
  void aPlanNeedsAtLeastTwoResponsesPerPrompt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CollectionPlan.of(SAMPLING, 1).withResponsesPerPrompt(1));
    assertTrue(e.getMessage().contains("got 1"), e.getMessage());
    assertEquals(4, CollectionPlan.of(SAMPLING, 1).responsesPerPrompt());
    assertEquals(6, CollectionPlan.of(SAMPLING, 1).pairsPerPrompt());
  }
}
