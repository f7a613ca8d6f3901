package org.rlhf4j.learner.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.config.LoraConfig;
import org.rlhf4j.learner.OptimizerStep;
import org.rlhf4j.learner.ResponseBatch;
import org.rlhf4j.learner.async.PpoLearner.Outcome;
import org.rlhf4j.learner.async.TinySetup.Rig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.GptLayout;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterSpec;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.PolicyEvaluation;
import org.rlhf4j.model.kernels.VectorKernels;
import org.rlhf4j.protocol.pb.Rollout;
import org.rlhf4j.protocol.pb.ScoredRollout;
import org.rlhf4j.rollout.GenerationEngine;
import org.rlhf4j.rollout.PolicySnapshot;

/**
 * PPO with LoRA on the policy (and the separate critic): only heads and adapters train, the
 * reference is the learner's own base read in place, and workers sample merged weights whose
 * log-probs are the learner's adapter forward's.
 */
class LoraPpoTest {
  // every linear layer, rank 2, scale 4: the adapters move the policy within a few rounds
  private static final LoraConfig LORA =
      new LoraConfig(true, 2, 8, 0.0, List.of("c_attn", "c_proj", "c_fc"));
  private static final int ROUNDS = 4;

  /** {@code ROUNDS} on-policy rounds of batch 8 (4 prompts × 2 samples) from merged snapshots. */
  private static void train(Rig rig) {
    GenerationEngine engine = new GenerationEngine(7, TinySetup.PAD);
    for (int round = 0; round < ROUNDS; round++) {
      Outcome last = null;
      for (ScoredRollout m : TinySetup.sampleAndScore(rig, engine, rig.learner().snapshot(),
          TinySetup.PROMPTS, 2, 1 + round * 8L, 1 + round * 4L, "w")) {
        last = rig.learner().offer(m);
      }
      assertEquals(Outcome.TRAINED, last, "round " + round);
    }
  }

  private static DataBuffer root(INDArray a) {
    DataBuffer parent = a.data().originalDataBuffer();
    return parent != null ? parent : a.data();
  }

  @Test
  void onlyTheHeadsAndAdaptersTrainAndTheBaseStaysBitIdentical() {
    for (String critic : List.of("value-head", "separate")) {
      Rig rig = TinySetup.rig(TinySetup.ppo("critic = " + critic), 0, 7, LORA);
      ParameterStore before = rig.learner().policyParams().copy();
      ParameterStore criticBefore = rig.critic() == null ? null : rig.critic().copy();
      train(rig);
      assertOnlyTrainableMoved(critic + " policy", before, rig.learner().policyParams());
      if (criticBefore != null) {
        assertOnlyTrainableMoved("critic", criticBefore, rig.critic());
      }
    }
  }

  private static void assertOnlyTrainableMoved(String what, ParameterStore before,
      ParameterStore after) {
    for (ParameterSpec s : after.layout().specs()) {
      boolean trainable = GptLayout.isAdapter(s.name()) || s.name().startsWith("v_head.");
      // exactly: INDArray.equals allows a difference of 1e-5
      boolean same = before.get(s.name()).sub(after.get(s.name())).amaxNumber()
          .doubleValue() == 0;
      assertEquals(!trainable, same, what + " " + s.name()
          + (trainable ? " did not train" : " (frozen) changed"));
    }
  }

  @Test
  void theReferenceIsTheLearnersOwnBaseWithNoCopy() {
    Rig rig = TinySetup.rig(TinySetup.ppo(""), 0, 7, LORA);
    ParameterStore live = rig.learner().policyParams();
    ParameterStore reference = rig.reference().params();
    // structurally: the reference views the learner's buffer, and only its body
    assertSame(root(live.flat()), root(reference.flat()), "the reference has its own buffer");
    assertEquals(0, new ReferencePolicy(rig.reference().model(), reference).bytesApartFrom(live));
    ParameterStore copied = reference.copy();
    assertEquals(copied.flat().length() * 4,
        new ReferencePolicy(rig.reference().model(), copied).bytesApartFrom(live));
    assertEquals(GptLayout.of(TinySetup.SMALL, EnumSet.noneOf(Head.class)), reference.layout());
    assertTrue(rig.reference().model().lora().isEmpty());
    Gpt plain = new Gpt(TinySetup.SMALL, EnumSet.noneOf(Head.class), new VectorKernels());
    ParameterStore base = plain.initialParameters(0, DataType.FLOAT);
    for (ParameterSpec s : base.layout().specs()) {
      base.get(s.name()).assign(live.get(s.name()));
    }
    train(rig);
    assertTrue(rig.learner().lastRound().get("objective/kl") > 0, "the policy did not move");
    // after training, the scorer's reference log-probs are still the base model's exactly
    List<ScoredRollout> scored = TinySetup.sampleAndScore(rig,
        new GenerationEngine(8, TinySetup.PAD), rig.learner().snapshot(), TinySetup.PROMPTS, 2,
        1000, 1000, "w");
    double worst = 0;
    for (ScoredRollout s : scored) {
      float[] expected = logprobs(plain, base, s.getRollout(), 1.0);
      for (int k = 0; k < expected.length; k++) {
        worst = Math.max(worst, Math.abs(expected[k] - s.getReferenceLogprobs(k)));
      }
    }
    assertEquals(0.0, worst, 1e-6, "reference vs base log-probs");
  }

  @Test
  void mergedSamplesHaveTheLogProbsTheLearnerRecomputesWithAdapters() {
    Rig rig = TinySetup.rig(TinySetup.ppo("temperature = 0.8"), 0, 7, LORA);
    train(rig); // B ≠ 0 from here on, so merged and adapter forwards compute differently
    PolicySnapshot snapshot = rig.learner().snapshot();
    assertTrue(snapshot.model().lora().isEmpty(), "workers sample without adapters");
    assertNotEquals(null, snapshot.trainable(), "a LoRA snapshot carries its adapters");
    Gpt adapted = new Gpt(TinySetup.SMALL, EnumSet.of(Head.VALUE), new VectorKernels(),
        org.rlhf4j.model.RewardPooling.LAST, LORA);
    double worst = 0;
    double moved = 0;
    for (ScoredRollout s : TinySetup.sampleAndScore(rig, new GenerationEngine(9, TinySetup.PAD),
        snapshot, TinySetup.PROMPTS, 4, 2000, 2000, "w")) {
      Rollout r = s.getRollout();
      float[] learner = logprobs(adapted, rig.learner().policyParams(), r, 0.8);
      for (int k = 0; k < learner.length; k++) {
        worst = Math.max(worst, Math.abs(learner[k] - r.getBehaviourLogprobs(k)));
        moved = Math.max(moved, Math.abs(s.getReferenceLogprobs(k) - r.getBehaviourLogprobs(k)));
      }
    }
    System.out.printf("merged behaviour vs adapter recomputation: max diff %.2e%n", worst);
    assertTrue(worst < 1e-5, "log-probs differ by " + worst);
    assertTrue(moved > 1e-3, "the adapters changed nothing: " + moved);
  }

  @Test
  void anOptimizerOverTheWholeStoreIsRefusedWithLora() {
    Rig rig = TinySetup.rig(TinySetup.ppo(""), 0, 7, LORA);
    Gpt gpt = new Gpt(TinySetup.SMALL, EnumSet.of(Head.VALUE), new VectorKernels(),
        org.rlhf4j.model.RewardPooling.LAST, LORA);
    ParameterStore policy = rig.learner().policyParams().copy();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new PpoLearner(new PpoLearner.Models(gpt, policy, null, null), rig.config(),
            new PpoLearner.Settings(0, 7, TinySetup.PAD),
            new OptimizerStep(policy, TinySetup.OPTIMIZER, 10, gpt.kernels()), null));
    assertTrue(e.getMessage().contains("gpt.trainable(params)"), e.getMessage());
  }

  /** log softmax(logits / T) of each response token of {@code r} under {@code gpt}. */
  private static float[] logprobs(Gpt gpt, ParameterStore params, Rollout r, double t) {
    int[] prompt = r.getPromptIdsList().stream().mapToInt(Integer::intValue).toArray();
    int[] response = r.getResponseIdsList().stream().mapToInt(Integer::intValue).toArray();
    ResponseBatch batch = ResponseBatch.of(List.of(prompt), List.of(response), 24,
        TinySetup.PAD);
    double[] all = PolicyEvaluation.of(gpt, params, batch.tokens(), batch.targets(), t, false,
        false).logprobs();
    float[] out = new float[response.length];
    for (int k = 0; k < out.length; k++) {
      out[k] = (float) all[batch.row(0, k)];
    }
    return out;
  }
}
