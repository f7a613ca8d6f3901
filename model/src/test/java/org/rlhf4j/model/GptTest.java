package org.rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.kernels.FiniteDifferences;
import org.rlhf4j.model.kernels.Nd4jKernels;
import org.rlhf4j.model.kernels.VectorKernels;

class GptTest {
  private static final ModelConfig TINY = new ModelConfig(11, 8, 8, 2, 2, 1e-5);
  private static final List<int[]> SEQUENCES =
      List.of(new int[] {3, 1, 4, 1, 5}, new int[] {9, 2, 6}, new int[] {5, 3, 5, 8});

  private static Gpt tiny(Set<Head> heads) {
    return new Gpt(TINY, heads, new Nd4jKernels());
  }

  /** Non-trivial parameters: GPT-2 init plus noise on the zero biases and unit gains. */
  static ParameterStore params(Gpt gpt, long seed) {
    ParameterStore p = gpt.initialParameters(seed, DataType.DOUBLE);
    p.flat().addi(FiniteDifferences.random(seed + 1, 0.3, p.flat().length()));
    return p;
  }

  @Test
  void lmHeadGradientsOfEveryParameterMatchFiniteDifferences() {
    Gpt gpt = tiny(EnumSet.noneOf(Head.class));
    ParameterStore p = params(gpt, 1);
    TokenBatch batch = TokenBatch.rightPadded(SEQUENCES, 0);
    int[] targets = nextTokenTargets(batch);
    DoubleSupplier loss = () -> LanguageModelLoss.mean(gpt, p, batch, targets).loss();
    ParameterStore g = p.zerosLike();
    LanguageModelLoss.mean(gpt, p, batch, targets).backward(g);
    checkEveryTensor(p, g, loss);
  }

  @Test
  void recomputedActivationsGiveGradientsThatMatchFiniteDifferences() {
    Gpt gpt = tiny(EnumSet.of(Head.VALUE)).recomputing(true);
    ParameterStore p = params(gpt, 5);
    TokenBatch batch = TokenBatch.leftPadded(SEQUENCES, 0);
    int[] targets = nextTokenTargets(batch);
    INDArray r = FiniteDifferences.random(6, 1, batch.rows());
    DoubleSupplier loss = () -> {
      try (LanguageModelLoss lm = LanguageModelLoss.mean(gpt, p, batch, targets)) {
        return lm.loss() + FiniteDifferences.dot(
            gpt.forward(p, batch, EnumSet.of(Output.VALUES)).values(), r);
      }
    };
    ParameterStore g = p.zerosLike();
    LanguageModelLoss.mean(gpt, p, batch, targets).backward(g);
    ForwardPass pass = gpt.forward(p, batch, EnumSet.of(Output.VALUES));
    gpt.backward(p, g, pass, null, r, null);
    checkEveryTensor(p, g, loss);
  }

  @Test
  void recomputingGivesTheSameGradientsBitForBitWithTheFastKernels() {
    Gpt kept = new Gpt(TINY, EnumSet.noneOf(Head.class), new VectorKernels());
    ParameterStore p = params(kept, 7).copy(DataType.FLOAT);
    TokenBatch batch = TokenBatch.rightPadded(SEQUENCES, 0);
    int[] targets = nextTokenTargets(batch);
    ParameterStore g = p.zerosLike();
    LanguageModelLoss.mean(kept, p, batch, targets).backward(g);
    ParameterStore again = p.zerosLike();
    LanguageModelLoss.mean(kept.recomputing(true), p, batch, targets).backward(again);
    assertArrayEquals(g.flat().toFloatVector(), again.flat().toFloatVector()); // bit for bit
  }

  @Test
  void largePassesOfTheFastKernelsKeepNoAttentionProbabilities() {
    ModelConfig m = new ModelConfig(8192, 256, 512, 8, 8, 1e-5); // the peer's M
    Gpt fast = new Gpt(m, EnumSet.noneOf(Head.class), new VectorKernels());
    Gpt reference = new Gpt(m, EnumSet.noneOf(Head.class), new Nd4jKernels());
    assertFalse(fast.keepsAttention(8, 256), "134 MB of probabilities are computed again");
    assertTrue(fast.keepsAttention(1, 64), "a short pass keeps its 1 MB");
    assertTrue(reference.keepsAttention(8, 256), "the reference kernels keep them");
    assertFalse(reference.recomputing(true).keepsAttention(1, 64));
  }

  @Test
  void aPassThatKeepsNoAttentionProbabilitiesKeepsItsMask() {
    Gpt gpt = new Gpt(TINY, EnumSet.noneOf(Head.class), new VectorKernels()).recomputing(true);
    ParameterStore p = params(gpt, 8).copy(DataType.FLOAT);
    try (ForwardPass pass = gpt.forward(p, TokenBatch.leftPadded(SEQUENCES, 0),
        EnumSet.of(Output.LOGITS))) {
      for (ForwardPass.BlockActivations block : pass.blocks) {
        assertNull(block.att);
      }
      assertNotNull(pass.mask, "the backward computes the probabilities again with it");
    }
  }

  @Test
  void valueHeadGradientsMatchFiniteDifferences() {
    Gpt gpt = tiny(EnumSet.of(Head.VALUE));
    ParameterStore p = params(gpt, 2);
    TokenBatch batch = TokenBatch.leftPadded(SEQUENCES, 0);
    INDArray r = FiniteDifferences.random(3, 1, batch.rows());
    DoubleSupplier loss = () -> FiniteDifferences.dot(
        gpt.forward(p, batch, EnumSet.of(Output.VALUES)).values(), r);
    ParameterStore g = p.zerosLike();
    ForwardPass pass = gpt.forward(p, batch, EnumSet.of(Output.VALUES));
    gpt.backward(p, g, pass, null, r, null);
    checkEveryTensor(p, g, loss);
  }

  @Test
  void rewardHeadGradientsMatchFiniteDifferences() {
    Gpt gpt = tiny(EnumSet.of(Head.REWARD));
    ParameterStore p = params(gpt, 4);
    TokenBatch batch = TokenBatch.rightPadded(SEQUENCES, 0);
    INDArray r = FiniteDifferences.random(5, 1, batch.batch());
    DoubleSupplier loss = () -> FiniteDifferences.dot(
        gpt.forward(p, batch, EnumSet.of(Output.REWARDS)).rewards(), r);
    ParameterStore g = p.zerosLike();
    ForwardPass pass = gpt.forward(p, batch, EnumSet.of(Output.REWARDS));
    gpt.backward(p, g, pass, null, null, r);
    checkEveryTensor(p, g, loss);
  }

  @Test
  void sumPooledRewardGradientsMatchFiniteDifferences() {
    Gpt gpt = new Gpt(TINY, EnumSet.of(Head.REWARD), new Nd4jKernels(), RewardPooling.SUM);
    ParameterStore p = params(gpt, 6);
    TokenBatch batch = TokenBatch.rightPadded(SEQUENCES, 0);
    INDArray r = FiniteDifferences.random(7, 1, batch.batch());
    DoubleSupplier loss = () -> FiniteDifferences.dot(
        gpt.forward(p, batch, EnumSet.of(Output.REWARDS)).rewards(), r);
    ParameterStore g = p.zerosLike();
    ForwardPass pass = gpt.forward(p, batch, EnumSet.of(Output.REWARDS));
    gpt.backward(p, g, pass, null, null, r);
    checkEveryTensor(p, g, loss);
  }

  @Test
  void sumPooledRewardIsTheSumOfTheLastTokenRewardsOfEveryPrefix() {
    // causal attention: a token's state in the whole sequence is the last state of its prefix
    Gpt sum = new Gpt(TINY, EnumSet.of(Head.REWARD), new Nd4jKernels(), RewardPooling.SUM);
    Gpt last = new Gpt(TINY, EnumSet.of(Head.REWARD), new Nd4jKernels(), RewardPooling.LAST);
    ParameterStore p = params(sum, 8);
    INDArray pooled = sum.forward(p, TokenBatch.leftPadded(SEQUENCES, 0),
        EnumSet.of(Output.REWARDS)).rewards();
    for (int s = 0; s < SEQUENCES.size(); s++) {
      int[] seq = SEQUENCES.get(s);
      double expected = 0;
      for (int k = 1; k <= seq.length; k++) {
        expected += last.forward(p, TokenBatch.rightPadded(List.of(
            java.util.Arrays.copyOf(seq, k)), 0), EnumSet.of(Output.REWARDS)).rewards()
            .getDouble(0);
      }
      assertEquals(expected, pooled.getDouble(s), 1e-12, "sequence " + s);
    }
  }

  @Test
  void paddingOnEitherSideLeavesRealTokensUnchanged() {
    Gpt gpt = tiny(EnumSet.of(Head.VALUE, Head.REWARD));
    ParameterStore p = params(gpt, 6);
    Set<Output> all = EnumSet.allOf(Output.class);
    ForwardPass right = gpt.forward(p, TokenBatch.rightPadded(SEQUENCES, 7), all);
    ForwardPass left = gpt.forward(p, TokenBatch.leftPadded(SEQUENCES, 10), all);
    int t = right.batch().length();
    double worst = 0;
    for (int s = 0; s < SEQUENCES.size(); s++) {
      int[] seq = SEQUENCES.get(s);
      ForwardPass alone = gpt.forward(p, TokenBatch.rightPadded(List.of(seq), 0), all);
      for (int i = 0; i < seq.length; i++) {
        INDArray expected = alone.logits().getRow(i);
        worst = Math.max(worst, maxDiff(expected, right.logits().getRow(s * t + i)));
        worst = Math.max(worst, maxDiff(expected, left.logits().getRow(s * t + t - seq.length + i)));
        worst = Math.max(worst, Math.abs(alone.values().getDouble(i)
            - right.values().getDouble(s * t + i)));
      }
      worst = Math.max(worst, Math.abs(alone.rewards().getDouble(0) - right.rewards().getDouble(s)));
      worst = Math.max(worst, Math.abs(alone.rewards().getDouble(0) - left.rewards().getDouble(s)));
    }
    System.out.printf("padding: max diff %.2e%n", worst);
    assertTrue(worst < 1e-12, "padding changed a real token's output by " + worst);
  }

  @Test
  void positionIdsCountRealTokensOnly() {
    TokenBatch left = TokenBatch.leftPadded(SEQUENCES, 0);
    assertEquals(List.of(0, 1, 2, 3, 4), boxed(left.positions(), 0, 5));
    assertEquals(List.of(0, 0, 0, 1, 2), boxed(left.positions(), 5, 10));
    assertEquals(List.of(0, 0, 1, 2, 3), boxed(left.positions(), 10, 15));
    TokenBatch right = TokenBatch.rightPadded(SEQUENCES, 0);
    assertEquals(List.of(0, 1, 2, 3, 4), boxed(right.positions(), 10, 15));
    assertEquals(List.of(0, 1, 2, 3, 3), boxed(right.positions(), 5, 10));
    assertEquals(3, right.lastRealIndex(2));
    assertEquals(4, left.lastRealIndex(1));
  }

  @Test
  void kvCacheDecodingGivesTheFullForwardsLogits() {
    Gpt gpt = tiny(EnumSet.noneOf(Head.class));
    ParameterStore p = gpt.initialParameters(7, DataType.FLOAT);
    p.flat().addi(FiniteDifferences.random(8, 0.3, p.flat().length()).castTo(DataType.FLOAT));
    // prompts of lengths 3, 2, 1 left-padded to 3, then three sampled tokens each
    TokenBatch prompt = TokenBatch.leftPadded(
        List.of(new int[] {1, 2, 3}, new int[] {4, 5}, new int[] {6}), 0);
    int[][] steps = {{7, 10, 3}, {8, 1, 4}, {9, 2, 5}};
    TokenBatch whole = new TokenBatch(3, 6,
        new int[] {1, 2, 3, 7, 8, 9, 0, 4, 5, 10, 1, 2, 0, 0, 6, 3, 4, 5},
        new int[] {1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1});
    INDArray expected = gpt.forward(p, whole, EnumSet.of(Output.LOGITS)).logits(); // (3·6, V)

    Decoder cache = gpt.decoder(3, 8, DataType.FLOAT);
    // the prompt's last position only; the steps after it read every cached position
    INDArray prefill = cache.step(p, prompt.ids(), prompt.mask()).dup(); // (3, V)
    assertEquals(3, prefill.rows());
    double worst = 0;
    for (int b = 0; b < 3; b++) {
      worst = Math.max(worst, maxDiff(expected.getRow(b * 6 + 2), prefill.getRow(b)));
    }
    for (int step = 0; step < 3; step++) {
      INDArray logits = cache.step(p, steps[step], new int[] {1, 1, 1}); // (3, V)
      for (int b = 0; b < 3; b++) {
        worst = Math.max(worst, maxDiff(expected.getRow(b * 6 + 3 + step), logits.getRow(b)));
      }
    }
    System.out.printf("kv cache: max diff %.2e%n", worst);
    assertTrue(worst < 1e-5, "cached decoding differs by " + worst);
    assertEquals(6, cache.length());
  }

  @Test
  void cacheRefusesTokensBeyondItsCapacity() {
    Gpt gpt = tiny(EnumSet.noneOf(Head.class));
    ParameterStore p = gpt.initialParameters(1, DataType.FLOAT);
    Decoder cache = gpt.decoder(1, 2, DataType.FLOAT);
    cache.step(p, new int[] {1, 2}, new int[] {1, 1});
    assertThrows(IllegalArgumentException.class,
        () -> cache.step(p, new int[] {3}, new int[] {1}));
  }

  @Test
  void aSequenceLongerThanTheContextIsRefused() {
    Gpt gpt = tiny(EnumSet.noneOf(Head.class));
    ParameterStore p = gpt.initialParameters(1, DataType.FLOAT);
    TokenBatch tooLong = TokenBatch.rightPadded(List.of(new int[9]), 0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> gpt.forward(p, tooLong, EnumSet.of(Output.LOGITS)));
    assertTrue(e.getMessage().contains("context length 8"), e.getMessage());
  }

  @Test
  void gpt2SmallHasGpt2sParameterCount() {
    ModelConfig small = new ModelConfig(50257, 1024, 768, 12, 12, 1e-5);
    assertEquals(124_439_808L, GptLayout.of(small, EnumSet.noneOf(Head.class)).totalSize());
  }

  @Test
  void aCopySharesNothingMutable() {
    Gpt gpt = tiny(EnumSet.of(Head.VALUE));
    ParameterStore p = gpt.initialParameters(3, DataType.FLOAT);
    ParameterStore frozen = p.copy();
    String before = frozen.sha256();
    assertEquals(before, p.sha256());
    p.get("h.0.attn.c_attn.weight").addi(1.0);
    p.flat().muli(2.0);
    assertEquals(before, frozen.sha256());
    assertNotEquals(before, p.sha256());
  }

  @Test
  void namedViewsWriteIntoTheFlatBuffer() {
    Gpt gpt = tiny(EnumSet.noneOf(Head.class));
    ParameterStore p = ParameterStore.zeros(gpt.layout(), DataType.FLOAT);
    p.get("ln_f.bias").assign(2.0);
    ParameterSpec spec = gpt.layout().spec("ln_f.bias");
    assertEquals(2.0 * TINY.dModel(), p.flat().sumNumber().doubleValue(), 0.0);
    assertEquals(2.0, p.flat().getDouble(spec.offset()), 0.0);
  }

  @Test
  void initialisationIsSeeded() {
    Gpt gpt = tiny(EnumSet.of(Head.VALUE));
    assertEquals(gpt.initialParameters(5, DataType.FLOAT).sha256(),
        gpt.initialParameters(5, DataType.FLOAT).sha256());
    assertNotEquals(gpt.initialParameters(5, DataType.FLOAT).sha256(),
        gpt.initialParameters(6, DataType.FLOAT).sha256());
  }

  static int[] nextTokenTargets(TokenBatch batch) {
    int t = batch.length();
    int[] targets = new int[batch.rows()];
    for (int b = 0; b < batch.batch(); b++) {
      for (int i = 0; i < t; i++) {
        int n = b * t + i;
        boolean hasNext = i + 1 < t && batch.mask()[n] == 1 && batch.mask()[n + 1] == 1;
        targets[n] = hasNext ? batch.ids()[n + 1] : -1;
      }
    }
    return targets;
  }

  private static void checkEveryTensor(ParameterStore p, ParameterStore g, DoubleSupplier loss) {
    for (ParameterSpec spec : p.layout().specs()) {
      FiniteDifferences.check(spec.name(), p.get(spec.name()), g.get(spec.name()), loss, 12, 42,
          1e-6);
    }
  }

  private static double maxDiff(INDArray a, INDArray b) {
    return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
  }

  private static List<Integer> boxed(int[] a, int from, int to) {
    return java.util.Arrays.stream(a, from, to).boxed().toList();
  }
}
