package org.rlhf4j.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.Output;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.TokenBatch;
import org.rlhf4j.model.TokenLogProbs;
import org.rlhf4j.model.kernels.VectorKernels;

class GenerationEngineTest {
  private static final ModelConfig SMALL = new ModelConfig(23, 32, 32, 2, 4, 1e-5);
  private static final int PAD = 0;
  private static final List<int[]> PROMPTS = List.of(new int[] {5, 6, 7, 8, 9}, new int[] {3},
      new int[] {11, 12, 4}, new int[] {1, 2});

  private static final Gpt GPT = new Gpt(SMALL, EnumSet.noneOf(Head.class), new VectorKernels());

  /** A policy with peaked, varied distributions, so sampling settings make a difference. */
  private static PolicySnapshot policy(long version) {
    ParameterStore p = GPT.initialParameters(3, DataType.FLOAT);
    SplittableRandom rng = new SplittableRandom(4);
    float[] noise = new float[(int) p.flat().length()];
    for (int i = 0; i < noise.length; i++) {
      noise[i] = (float) ((rng.nextDouble() * 2 - 1) * 0.6);
    }
    p.flat().addi(Nd4j.createFromArray(noise));
    return PolicySnapshot.freeze(GPT, p, version);
  }

  @Test
  void behaviourLogProbsEqualTheTrainingForwardsUnderEverySetting() {
    PolicySnapshot policy = policy(7);
    List<SamplingSettings> settings = List.of(
        SamplingSettings.multinomial(12),
        new SamplingSettings(0.7, 5, 1.0, false, 12, new int[] {}),
        new SamplingSettings(1.3, 0, 0.8, false, 12, new int[] {}),
        new SamplingSettings(0.5, 0, 1.0, true, 12, new int[] {}));
    double worst = 0;
    for (SamplingSettings s : settings) {
      List<Response> responses = new GenerationEngine(1, PAD).generate(policy, PROMPTS, s);
      for (Response r : responses) {
        float[] recomputed = recompute(policy, r, s.temperature());
        for (int i = 0; i < recomputed.length; i++) {
          worst = Math.max(worst, Math.abs(recomputed[i] - r.logprobs()[i]));
        }
      }
    }
    System.out.printf("behaviour vs training log-probs: max diff %.2e%n", worst);
    assertTrue(worst < 1e-5, "log-probs differ by " + worst);
  }

  @Test
  void rowsThatStopEarlyLeaveTheOthersLogProbsExact() {
    // 16 prompts with stop tokens: the decoder drops finished rows in steps of two while the
    // others go on, and every later token's log-prob must still be the training forward's
    PolicySnapshot policy = policy(2);
    List<int[]> prompts = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(9);
    for (int i = 0; i < 16; i++) {
      int[] p = new int[1 + rng.nextInt(6)];
      for (int k = 0; k < p.length; k++) {
        p[k] = 1 + rng.nextInt(SMALL.vocabSize() - 1);
      }
      prompts.add(p);
    }
    SamplingSettings s = new SamplingSettings(1.0, 0, 1.0, false, 20, new int[] {4, 9, 17});
    List<Response> responses = new GenerationEngine(3, PAD).generate(policy, prompts, s);
    long early = responses.stream().filter(r -> r.responseIds().length <= 5).count();
    long late = responses.stream().filter(r -> r.responseIds().length >= 10).count();
    assertTrue(early >= 4 && late >= 2, "lengths do not spread: choose other stop tokens");
    double worst = 0;
    for (int i = 0; i < responses.size(); i++) {
      Response r = responses.get(i);
      assertArrayEquals(prompts.get(i), r.promptIds(), "responses stay in prompt order");
      float[] recomputed = recompute(policy, r, s.temperature());
      for (int k = 0; k < recomputed.length; k++) {
        worst = Math.max(worst, Math.abs(recomputed[k] - r.logprobs()[k]));
      }
    }
    assertTrue(worst < 1e-5, "log-probs differ by " + worst);
  }

  @Test
  void keptRowsComeInEighthsOfTheBatch() {
    assertEquals(64, GenerationEngine.keptRows(57, 64));
    assertEquals(56, GenerationEngine.keptRows(56, 64));
    assertEquals(8, GenerationEngine.keptRows(1, 64));
    assertEquals(3, GenerationEngine.keptRows(3, 4));
  }

  @Test
  void eachSequenceStopsOnItsOwnAndKeepsItsStopToken() {
    PolicySnapshot policy = policy(1);
    // the most frequent first sampled tokens make good stop tokens
    SamplingSettings s = new SamplingSettings(1.0, 0, 1.0, false, 20, new int[] {4, 9, 17});
    List<Response> responses = new GenerationEngine(5, PAD).generate(policy, PROMPTS, s);
    boolean sawStop = false;
    boolean sawLength = false;
    for (Response r : responses) {
      int[] ids = r.responseIds();
      for (int i = 0; i < ids.length - 1; i++) {
        assertTrue(ids[i] != 4 && ids[i] != 9 && ids[i] != 17, "a stop token inside " + r);
      }
      if (r.finishReason() == FinishReason.STOP_TOKEN) {
        sawStop = true;
        int last = ids[ids.length - 1];
        assertTrue(last == 4 || last == 9 || last == 17, r.toString());
      } else {
        sawLength = true;
        assertEquals(20, ids.length);
      }
    }
    assertTrue(sawStop, "no response stopped: choose other stop tokens");
    List<Integer> lengths = responses.stream().map(r -> r.responseIds().length).distinct().toList();
    assertTrue(lengths.size() > 1 || sawLength, "every sequence had the same length " + lengths);
  }

  @Test
  void greedyFollowsTheArgmaxOfTheFullForward() {
    PolicySnapshot policy = policy(1);
    SamplingSettings greedy = new SamplingSettings(1.0, 0, 1.0, true, 6, new int[] {});
    Response r = new GenerationEngine(9, PAD).generate(policy, List.of(PROMPTS.get(2)), greedy)
        .get(0);
    int[] sequence = PROMPTS.get(2).clone();
    for (int step = 0; step < 6; step++) {
      INDArray logits = GPT.forward(policy.params(), TokenBatch.rightPadded(List.of(sequence), PAD),
          EnumSet.of(Output.LOGITS)).logits();
      int next = logits.getRow(sequence.length - 1).argMax().getInt(0);
      assertEquals(next, r.responseIds()[step], "step " + step);
      sequence = java.util.Arrays.copyOf(sequence, sequence.length + 1);
      sequence[sequence.length - 1] = next;
    }
  }

  @Test
  void topKOfOneAndATinyTopPAreGreedy() {
    PolicySnapshot policy = policy(1);
    List<Response> greedy = new GenerationEngine(1, PAD).generate(policy, PROMPTS,
        new SamplingSettings(0.8, 0, 1.0, true, 10, new int[] {}));
    List<Response> topK = new GenerationEngine(2, PAD).generate(policy, PROMPTS,
        new SamplingSettings(0.8, 1, 1.0, false, 10, new int[] {}));
    List<Response> topP = new GenerationEngine(3, PAD).generate(policy, PROMPTS,
        new SamplingSettings(0.8, 0, 1e-6, false, 10, new int[] {}));
    for (int i = 0; i < PROMPTS.size(); i++) {
      assertArrayEquals(greedy.get(i).responseIds(), topK.get(i).responseIds());
      assertArrayEquals(greedy.get(i).responseIds(), topP.get(i).responseIds());
    }
  }

  @Test
  void samplingIsReproducibleFromTheSeed() {
    PolicySnapshot policy = policy(1);
    SamplingSettings s = SamplingSettings.multinomial(15);
    assertEquals(new GenerationEngine(42, PAD).generate(policy, PROMPTS, s),
        new GenerationEngine(42, PAD).generate(policy, PROMPTS, s));
    assertNotEquals(new GenerationEngine(42, PAD).generate(policy, PROMPTS, s),
        new GenerationEngine(43, PAD).generate(policy, PROMPTS, s));
  }

  @Test
  void enginesSharingOneSnapshotOnThreadsMatchSequentialRuns() throws Exception {
    PolicySnapshot policy = policy(3);
    SamplingSettings s = new SamplingSettings(0.9, 8, 0.95, false, 16, new int[] {4});
    int engines = 4;
    List<List<Response>> sequential = new ArrayList<>();
    for (int e = 0; e < engines; e++) {
      GenerationEngine engine = new GenerationEngine(100 + e, PAD);
      List<Response> all = new ArrayList<>(engine.generate(policy, PROMPTS, s));
      all.addAll(engine.generate(policy, PROMPTS.subList(1, 3), s));
      sequential.add(all);
    }
    ExecutorService pool = Executors.newFixedThreadPool(engines);
    try {
      List<Future<List<Response>>> parallel = new ArrayList<>();
      for (int e = 0; e < engines; e++) {
        long seed = 100 + e;
        parallel.add(pool.submit(() -> {
          GenerationEngine engine = new GenerationEngine(seed, PAD);
          List<Response> all = new ArrayList<>(engine.generate(policy, PROMPTS, s));
          all.addAll(engine.generate(policy, PROMPTS.subList(1, 3), s));
          return all;
        }));
      }
      for (int e = 0; e < engines; e++) {
        assertEquals(sequential.get(e), parallel.get(e).get(), "engine " + e);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aSnapshotIsUnaffectedByLaterTraining() {
    ParameterStore live = GPT.initialParameters(8, DataType.FLOAT);
    PolicySnapshot snapshot = PolicySnapshot.freeze(GPT, live, 0);
    SamplingSettings s = SamplingSettings.multinomial(8);
    List<Response> before = new GenerationEngine(1, PAD).generate(snapshot, PROMPTS, s);
    live.flat().addi(1.0);
    assertEquals(before, new GenerationEngine(1, PAD).generate(snapshot, PROMPTS, s));
  }

  @Test
  void batchesOfOneSnapshotAndThenOfAnotherSampleAsFreshEnginesWould() {
    PolicySnapshot first = policy(5);
    ParameterStore changed = first.params().copy();
    changed.flat().muli(1.3);
    PolicySnapshot second = PolicySnapshot.freeze(GPT, changed, 6);
    SamplingSettings s = SamplingSettings.multinomial(10);
    GenerationEngine engine = new GenerationEngine(7, PAD);
    List<Response> got = new ArrayList<>(engine.generate(first, PROMPTS, s));
    got.addAll(engine.generate(first, PROMPTS, s)); // the weights packed for the first batch
    got.addAll(engine.generate(second, PROMPTS, s)); // new weights: packed again
    GenerationEngine reseeded = new GenerationEngine(7, PAD);
    List<Response> expected = new ArrayList<>(reseeded.generate(first, PROMPTS, s));
    expected.addAll(reseeded.generate(PolicySnapshot.freeze(GPT, first.params(), 5), PROMPTS, s));
    expected.addAll(reseeded.generate(PolicySnapshot.freeze(GPT, changed, 6), PROMPTS, s));
    assertEquals(expected, got);
  }

  @Test
  void aNewSnapshotOfAStoreRefilledInPlaceIsPackedAgain() {
    // as a rollout node recycles a released version's store for the next version's weights
    ParameterStore store = policy(8).params().copy();
    SamplingSettings s = SamplingSettings.multinomial(10);
    GenerationEngine engine = new GenerationEngine(9, PAD);
    List<Response> got = new ArrayList<>(engine.generate(new PolicySnapshot(GPT, store, 8), PROMPTS,
        s));
    store.flat().muli(0.7);
    got.addAll(engine.generate(new PolicySnapshot(GPT, store, 9), PROMPTS, s));
    GenerationEngine reseeded = new GenerationEngine(9, PAD);
    List<Response> expected = new ArrayList<>(reseeded.generate(policy(8), PROMPTS, s));
    expected.addAll(reseeded.generate(PolicySnapshot.freeze(GPT, store, 9), PROMPTS, s));
    assertEquals(expected, got);
  }

  @Test
  void responsesCarryTheirPromptAndPolicyVersion() {
    List<Response> responses = new GenerationEngine(1, PAD).generate(policy(12), PROMPTS,
        SamplingSettings.multinomial(3));
    for (int i = 0; i < PROMPTS.size(); i++) {
      assertArrayEquals(PROMPTS.get(i), responses.get(i).promptIds());
      assertEquals(12, responses.get(i).policyVersion());
      assertEquals(3, responses.get(i).responseIds().length);
      assertEquals(FinishReason.LENGTH, responses.get(i).finishReason());
    }
  }

  @Test
  void aPromptThatCannotFitIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new GenerationEngine(1, PAD).generate(policy(1), List.of(new int[30]),
            SamplingSettings.multinomial(5)));
    assertTrue(e.getMessage().contains("context length 32"), e.getMessage());
  }

  @Test
  void samplingSettingsRejectImpossibleValues() {
    assertThrows(IllegalArgumentException.class,
        () -> new SamplingSettings(0, 0, 1, false, 5, new int[] {}));
    assertThrows(IllegalArgumentException.class,
        () -> new SamplingSettings(1, -1, 1, false, 5, new int[] {}));
    assertThrows(IllegalArgumentException.class,
        () -> new SamplingSettings(1, 0, 0, false, 5, new int[] {}));
    assertThrows(IllegalArgumentException.class,
        () -> new SamplingSettings(1, 0, 1, false, 0, new int[] {}));
  }

  /** The learner's view: log softmax(logits / T) of each response token, by the training forward. */
  private static float[] recompute(PolicySnapshot policy, Response r, double temperature) {
    int p = r.promptIds().length;
    int n = r.responseIds().length;
    int[] sequence = new int[p + n];
    System.arraycopy(r.promptIds(), 0, sequence, 0, p);
    System.arraycopy(r.responseIds(), 0, sequence, p, n);
    TokenBatch batch = TokenBatch.rightPadded(List.of(sequence), PAD);
    int[] targets = new int[sequence.length];
    java.util.Arrays.fill(targets, -1);
    for (int i = 0; i < n; i++) {
      targets[p - 1 + i] = sequence[p + i];
    }
    float[] all = TokenLogProbs.of(policy.model(), policy.params(), batch, targets, temperature);
    return java.util.Arrays.copyOfRange(all, p - 1, p - 1 + n);
  }
}
