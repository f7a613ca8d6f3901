package org.rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.config.LoraConfig;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.kernels.FiniteDifferences;
import org.rlhf4j.model.kernels.Nd4jKernels;
import org.rlhf4j.model.kernels.VectorKernels;

class LoraTest {
  private static final ModelConfig TINY = new ModelConfig(11, 8, 8, 2, 2, 1e-5);
  private static final List<int[]> SEQUENCES =
      List.of(new int[] {3, 1, 4, 1, 5}, new int[] {9, 2, 6}, new int[] {5, 3, 5, 8});
  private static final LoraConfig EVERY_LAYER =
      new LoraConfig(true, 2, 6, 0.0, List.of("c_attn", "c_proj", "c_fc"));

  private static Gpt tiny(Set<Head> heads, LoraConfig lora) {
    return new Gpt(TINY, heads, new Nd4jKernels(), RewardPooling.LAST, lora);
  }

  /** Noisy base weights and adapters with B ≠ 0, so that every adapter changes the output. */
  private static ParameterStore params(Gpt gpt, long seed) {
    return GptTest.params(gpt, seed);
  }


  @Test
  void layoutFollowsPeftNamesAndShapesAfterTheHeads() {
    Gpt gpt = tiny(EnumSet.of(Head.VALUE), LoraConfig.defaults());
    ParameterLayout layout = gpt.layout();
    assertEquals(List.of(8L, 8L * 3), List.of(layout.spec("h.1.attn.c_attn.lora_A.weight").shape()[0],
        layout.spec("h.1.attn.c_attn.lora_B.weight").shape()[0]));
    assertEquals(8 * 8, layout.spec("h.0.attn.c_attn.lora_A.weight").size()); // (r 8, in 8)
    assertTrue(!layout.contains("h.0.mlp.c_fc.lora_A.weight"), "c_attn only by default");
    assertEquals(List.of(Head.VALUE.weightName(), Head.VALUE.biasName(), "h.0.attn.c_attn.lora_A.weight",
        "h.0.attn.c_attn.lora_B.weight", "h.1.attn.c_attn.lora_A.weight",
        "h.1.attn.c_attn.lora_B.weight"),
        gpt.trainableLayout().specs().stream().map(ParameterSpec::name).toList());
    // c_proj matches both projections, as PEFT's suffix match does
    Gpt every = tiny(Set.of(), EVERY_LAYER);
    assertEquals(8, every.layout().names(GptLayout::isAdapter).size() / 2);
  }

  @Test
  void freshAdaptersLeaveTheModelUnchanged() {
    Gpt base = tiny(Set.of(), null);
    Gpt gpt = tiny(Set.of(), EVERY_LAYER);
    ParameterStore baseParams = params(base, 1);
    ParameterStore p = gpt.withFreshAdapters(baseParams, 7);
    TokenBatch batch = TokenBatch.rightPadded(SEQUENCES, 0);
    INDArray expected = base.forward(baseParams, batch, EnumSet.of(Output.LOGITS)).logits();
    assertEquals(0.0, maxDiff(expected, gpt.forward(p, batch, EnumSet.of(Output.LOGITS)).logits()),
        1e-12);
    assertTrue(p.get("h.0.attn.c_attn.lora_A.weight").amaxNumber().doubleValue() > 0.1,
        "A starts random");
    assertEquals(0.0, p.get("h.0.attn.c_attn.lora_B.weight").amaxNumber().doubleValue());
  }

  @Test
  void adapterGradientsMatchFiniteDifferencesAndTheBaseGetsNone() {
    Gpt gpt = tiny(EnumSet.of(Head.VALUE), EVERY_LAYER);
    ParameterStore p = params(gpt, 2);
    TokenBatch batch = TokenBatch.rightPadded(SEQUENCES, 0);
    int[] targets = GptTest.nextTokenTargets(batch);
    INDArray r = FiniteDifferences.random(3, 1, batch.rows());
    DoubleSupplier loss = () -> lossOf(gpt, p, batch, targets, r);
    ParameterStore g = gpt.trainable(p).zerosLike();
    ForwardPass pass = gpt.forward(p, batch, EnumSet.of(Output.LOGITS, Output.VALUES));
    LanguageModelLoss lm = LanguageModelLoss.mean(gpt, p, batch, targets);
    lm.backward(g);
    gpt.backward(p, g, pass, null, r, null);
    for (ParameterSpec spec : g.layout().specs()) {
      FiniteDifferences.check(spec.name(), p.get(spec.name()), g.get(spec.name()), loss, 12, 42,
          1e-6);
    }
    assertNull(g.find("h.0.attn.c_attn.weight"), "the base is frozen: no gradient store for it");
  }

  @Test
  void dropoutGradientsMatchFiniteDifferencesUnderTheSameMask() {
    LoraConfig dropped = new LoraConfig(true, 2, 4, 0.3, List.of("c_attn", "mlp.c_proj"));
    Gpt gpt = tiny(Set.of(), dropped).forTraining();
    ParameterStore p = params(gpt, 4);
    TokenBatch batch = TokenBatch.leftPadded(SEQUENCES, 0);
    int[] targets = GptTest.nextTokenTargets(batch);
    DoubleSupplier loss = () -> LanguageModelLoss.mean(gpt, p, batch, targets).loss();
    ParameterStore g = gpt.trainable(p).zerosLike();
    LanguageModelLoss.mean(gpt, p, batch, targets).backward(g);
    for (ParameterSpec spec : g.layout().specs()) {
      FiniteDifferences.check(spec.name(), p.get(spec.name()), g.get(spec.name()), loss, 12, 42,
          1e-6);
    }
    Gpt evaluation = tiny(Set.of(), dropped);
    double trained = LanguageModelLoss.mean(gpt, p, batch, targets).loss();
    double evaluated = LanguageModelLoss.mean(evaluation, p, batch, targets).loss();
    assertTrue(Math.abs(trained - evaluated) > 1e-6, "dropout changes a training pass only");
  }

  @Test
  void recomputingPassesGiveAdaptersTheSameGradientsWithAndWithoutDropout() {
    for (double rate : new double[] {0.0, 0.3}) {
      LoraConfig lora = new LoraConfig(true, 2, 6, rate, List.of("c_attn", "c_proj", "c_fc"));
      Gpt kept = new Gpt(TINY, EnumSet.noneOf(Head.class), new VectorKernels(),
          RewardPooling.LAST, lora).forTraining();
      ParameterStore p = params(kept, 12).copy(DataType.FLOAT);
      TokenBatch batch = TokenBatch.leftPadded(SEQUENCES, 0);
      int[] targets = GptTest.nextTokenTargets(batch);
      ParameterStore g = kept.trainable(p).zerosLike();
      LanguageModelLoss.mean(kept, p, batch, targets).backward(g);
      ParameterStore again = kept.trainable(p).zerosLike();
      LanguageModelLoss.mean(kept.recomputing(true), p, batch, targets).backward(again);
      assertArrayEquals(g.flat().toFloatVector(), again.flat().toFloatVector(), "dropout " + rate);
    }
  }

  @Test
  void theFastKernelsInFloatGiveTheReferenceKernelsAdapterGradients() {
    Gpt exact = tiny(EnumSet.of(Head.VALUE), EVERY_LAYER);
    Gpt fast = new Gpt(TINY, EnumSet.of(Head.VALUE), new VectorKernels(), RewardPooling.LAST,
        EVERY_LAYER);
    ParameterStore p = params(exact, 11);
    ParameterStore pf = p.copy(DataType.FLOAT);
    TokenBatch batch = TokenBatch.leftPadded(SEQUENCES, 0);
    int[] targets = GptTest.nextTokenTargets(batch);
    ParameterStore g = exact.trainable(p).zerosLike();
    LanguageModelLoss.mean(exact, p, batch, targets).backward(g);
    ParameterStore gf = fast.trainable(pf).zerosLike();
    LanguageModelLoss.mean(fast, pf, batch, targets).backward(gf);
    for (ParameterSpec s : g.layout().specs()) {
      double scale = Math.max(g.get(s.name()).amaxNumber().doubleValue(), 1e-12);
      assertEquals(0.0, maxDiff(g.get(s.name()), gf.get(s.name())) / scale, 1e-4, s.name());
    }
  }

  @Test
  void mergedWeightsComputeWhatTheAdaptersDo() {
    Gpt gpt = tiny(EnumSet.of(Head.VALUE), EVERY_LAYER);
    ParameterStore p = params(gpt, 5);
    TokenBatch batch = TokenBatch.leftPadded(SEQUENCES, 0);
    Set<Output> out = EnumSet.of(Output.LOGITS, Output.VALUES);
    ForwardPass adapted = gpt.forward(p, batch, out);
    ParameterStore merged = gpt.merged(p);
    assertEquals(GptLayout.of(TINY, EnumSet.of(Head.VALUE)), merged.layout());
    ForwardPass folded = gpt.base().forward(merged, batch, out);
    assertEquals(0.0, maxDiff(adapted.logits(), folded.logits()), 1e-10);
    assertEquals(0.0, maxDiff(adapted.values(), folded.values()), 1e-10);
  }

  @Test
  void withoutAdaptersIsTheBaseModelReadingTheSameStore() {
    Gpt gpt = tiny(Set.of(), EVERY_LAYER);
    ParameterStore p = params(gpt, 6);
    ParameterStore baseOnly = ParameterStore.zeros(GptLayout.of(TINY, Set.of()), DataType.DOUBLE);
    for (ParameterSpec s : baseOnly.layout().specs()) {
      baseOnly.get(s.name()).assign(p.get(s.name()));
    }
    TokenBatch batch = TokenBatch.rightPadded(SEQUENCES, 0);
    INDArray reference = gpt.withoutAdapters().forward(p, batch, EnumSet.of(Output.LOGITS))
        .logits();
    INDArray base = tiny(Set.of(), null).forward(baseOnly, batch, EnumSet.of(Output.LOGITS))
        .logits();
    assertEquals(0.0, maxDiff(reference, base), 0.0);
    INDArray adapted = gpt.forward(p, batch, EnumSet.of(Output.LOGITS)).logits();
    assertTrue(maxDiff(reference, adapted) > 1e-3, "the adapters matter when on");
  }

  @Test
  void anOptimizerStepMovesOnlyAdaptersAndHeads() {
    Gpt gpt = new Gpt(TINY, EnumSet.of(Head.REWARD), new VectorKernels(), RewardPooling.LAST,
        LoraConfig.defaults());
    ParameterStore p = gpt.withFreshAdapters(
        gpt.base().initialParameters(8, DataType.FLOAT), 9);
    ParameterStore before = p.copy();
    ParameterStore trainable = gpt.trainable(p);
    AdamW adamw = new AdamW(trainable, AdamW.Settings.gpt(), gpt.kernels());
    ParameterStore g = trainable.zerosLike();
    TokenBatch batch = TokenBatch.rightPadded(SEQUENCES, 0);
    ForwardPass pass = gpt.forward(p, batch, EnumSet.of(Output.REWARDS));
    gpt.backward(p, g, pass, null, null, FiniteDifferences.random(10, 1, 3).castTo(DataType.FLOAT));
    adamw.update(trainable, g, 1e-2);
    for (ParameterSpec s : p.layout().specs()) {
      boolean moved = maxDiff(before.get(s.name()), p.get(s.name())) > 0;
      boolean trains = trainable.layout().contains(s.name());
      assertEquals(trains, moved, s.name());
    }
  }

  private static double lossOf(Gpt gpt, ParameterStore p, TokenBatch batch, int[] targets,
      INDArray r) {
    return LanguageModelLoss.mean(gpt, p, batch, targets).loss()
        + FiniteDifferences.dot(gpt.forward(p, batch, EnumSet.of(Output.VALUES)).values(), r);
  }

  private static double maxDiff(INDArray a, INDArray b) {
    return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
  }
}
