package org.rlhf4j.learner.async;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.LoraConfig;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.config.OptimizerConfig;
import org.rlhf4j.config.PpoConfig;
import org.rlhf4j.learner.OptimizerStep;
import org.rlhf4j.learner.PreferencePair;
import org.rlhf4j.learner.RewardTrainer;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.RewardPooling;
import org.rlhf4j.model.kernels.VectorKernels;
import org.rlhf4j.rollout.GenerationEngine;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.Response;
import org.rlhf4j.rollout.SamplingSettings;

/** Tiny models, a reward model that prefers token 5, and learners built from fixed seeds. */
final class TinySetup {
  static final ModelConfig SMALL = new ModelConfig(12, 24, 32, 1, 2, 1e-5);
  static final int EOS = 11;
  static final int PAD = 0;
  static final OptimizerConfig OPTIMIZER = ConfigLoader.parse(
      "rlhf4j.optimizer { learning-rate = 3e-3, warmup-steps = 0, schedule = constant }", "t.conf")
      .optimizer();
  static final List<int[]> PROMPTS =
      List.of(new int[] {1}, new int[] {2}, new int[] {3}, new int[] {1, 2});

  /** A frozen model and its weights. */
  record Frozen(Gpt model, ParameterStore params) {}

  /**
   * A learner with its reward scorer and the reference it scores against; {@code critic} is the
   * learner's separate critic (live weights), or null without one.
   */
  record Rig(PpoConfig config, PpoLearner learner, RolloutScoring scoring, Frozen reference,
      Frozen reward, ParameterStore critic) {

    SamplingSettings sampling() {
      return new SamplingSettings(config.temperature(), 0, 1.0, false, config.responseLength(),
          new int[] {EOS});
    }
  }

  private static Frozen rewardModel;

  private TinySetup() {}

  /**
   * A reward model trained on 240 pairs whose chosen responses are about half token 5 and whose
   * rejected ones have each 5 swapped for a token from 1 to 4, so it scores token 5 up; trained
   * once per JVM and only read afterwards.
   */
  static synchronized Frozen rewardModel() {
    if (rewardModel == null) {
      Gpt rm = new Gpt(SMALL, EnumSet.of(Head.REWARD), new VectorKernels());
      ParameterStore params = rm.initialParameters(1, DataType.FLOAT);
      RewardTrainer trainer = new RewardTrainer(rm, params,
          new OptimizerStep(params, OPTIMIZER, 60, rm.kernels()), 24, PAD);
      List<PreferencePair> pairs = new ArrayList<>();
      SplittableRandom rng = new SplittableRandom(3);
      for (int i = 0; i < 240; i++) {
        int len = 1 + rng.nextInt(6);
        int[] chosen = new int[len];
        int[] rejected = new int[len];
        for (int k = 0; k < len; k++) {
          chosen[k] = rng.nextInt(2) == 0 ? 5 : 1 + rng.nextInt(10);
          rejected[k] = chosen[k] == 5 ? 1 + rng.nextInt(4) : chosen[k];
        }
        pairs.add(new PreferencePair(new int[] {1 + rng.nextInt(3)}, chosen, rejected, 0));
      }
      for (int step = 0; step < 60; step++) {
        trainer.step(pairs.subList((step * 4) % 236, (step * 4) % 236 + 4), step);
      }
      rewardModel = new Frozen(rm, params);
    }
    return rewardModel;
  }

  /**
   * PPO settings for the tiny models: batch 8, 2 epochs × 2 minibatches, responses of up to 6
   * tokens at temperature 1, a value-head critic; {@code overrides} are HOCON keys of
   * {@code rlhf4j.ppo} that replace these.
   */
  static PpoConfig ppo(String overrides) {
    return ConfigLoader.parse("""
        rlhf4j.ppo { batch-size = 8, epochs = 2, minibatches = 2, response-length = 6,
          temperature = 1.0, kl-coef = 0.02, critic = value-head, group-size = 4 }
        rlhf4j.ppo { %s }
        """.formatted(overrides), "t.conf").ppo();
  }

  /**
   * A fresh learner at version 0 with its scorer: the same initial weights every time (policy
   * seed 2; a separate critic starts from the reward model, as in InstructGPT).
   */
  static Rig rig(PpoConfig c, int maxLag, long seed) {
    return rig(c, maxLag, seed, null);
  }

  /**
   * {@link #rig(PpoConfig, int, long)} with {@code lora}'s adapters (null: none) on the policy
   * and the separate critic; the reference is then the learner's own base, as a run has it.
   */
  static Rig rig(PpoConfig c, int maxLag, long seed, LoraConfig lora) {
    boolean gae = c.advantage().equals("gae");
    boolean valueHead = gae && c.critic().equals("value-head");
    Gpt policyModel = new Gpt(SMALL,
        valueHead ? EnumSet.of(Head.VALUE) : EnumSet.noneOf(Head.class), new VectorKernels(),
        RewardPooling.LAST, lora);
    ParameterStore policy = policyModel.initialParameters(2, DataType.FLOAT);
    Frozen reward = rewardModel();
    Gpt criticModel = null;
    ParameterStore critic = null;
    OptimizerStep criticOptimizer = null;
    if (gae && !valueHead) {
      criticModel = new Gpt(SMALL, EnumSet.of(Head.VALUE), new VectorKernels(),
          RewardPooling.LAST, lora);
      critic = criticModel.initialParameters(4, DataType.FLOAT);
      for (var s : critic.layout().specs()) {
        if (reward.params().layout().contains(s.name())) {
          critic.get(s.name()).assign(reward.params().get(s.name()));
        }
      }
      criticOptimizer = new OptimizerStep(criticModel.trainable(critic), OPTIMIZER, 1000,
          criticModel.kernels());
    }
    PpoLearner learner = new PpoLearner(
        new PpoLearner.Models(policyModel, policy, criticModel, critic), c,
        new PpoLearner.Settings(maxLag, seed, PAD),
        new OptimizerStep(policyModel.trainable(policy), OPTIMIZER, 1000, policyModel.kernels()),
        criticOptimizer);
    ReferencePolicy ref = ReferencePolicy.of(policyModel, policy, learner);
    Frozen reference = new Frozen(ref.model(), ref.params());
    RolloutScoring scoring = new RolloutScoring(reward.model(), reward.params(),
        reference.model(), reference.params(), c.temperature(), PAD);
    return new Rig(c, learner, scoring, reference, reward, critic);
  }

  /**
   * Samples {@code samplesPerPrompt} responses for each of {@code prompts} from {@code policy}
   * and scores them; rollout ids run from {@code firstRolloutId}, prompt ids from
   * {@code firstPromptId} (one per prompt, shared by its samples).
   */
  static List<org.rlhf4j.protocol.pb.ScoredRollout> sampleAndScore(Rig rig,
      GenerationEngine engine, PolicySnapshot policy, List<int[]> prompts, int samplesPerPrompt,
      long firstRolloutId, long firstPromptId, String workerId) {
    List<int[]> promptIds = new ArrayList<>();
    for (int[] p : prompts) {
      for (int k = 0; k < samplesPerPrompt; k++) {
        promptIds.add(p);
      }
    }
    List<Response> responses = engine.generate(policy, promptIds, rig.sampling());
    List<org.rlhf4j.protocol.pb.Rollout> rollouts = new ArrayList<>();
    for (int i = 0; i < responses.size(); i++) {
      rollouts.add(RolloutMessages.of(responses.get(i), firstRolloutId + i,
          firstPromptId + i / samplesPerPrompt, workerId, firstRolloutId + i));
    }
    return rig.scoring().score(rollouts);
  }
}
