package org.rlhf4j.actors.ppo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.RewardPooling;
import org.rlhf4j.model.kernels.VectorKernels;

/**
 * Tiny models (vocabulary 12, one block of width 32) and PPO settings small enough that a whole
 * actor run takes a second or two: batch 8, work items of 4 prompts, 2 workers, responses of up to
 * 6 tokens, a separate critic that starts from the (random) reward model; LoRA adapters on the
 * policy and critic when {@code rlhf4j.lora} is on.
 */
final class TinyRun {
  static final ModelConfig SMALL = new ModelConfig(12, 24, 32, 1, 2, 1e-5);
  static final int EOS = 11;
  static final int PAD = 0;

  private TinyRun() {}

  /** The configuration with {@code overrides} (HOCON under {@code rlhf4j}) on top. */
  static RlhfConfig config(String overrides) {
    return ConfigLoader.parse("""
        rlhf4j.optimizer { learning-rate = 3e-3, warmup-steps = 0, schedule = constant }
        rlhf4j.ppo { batch-size = 8, iterations = 4, epochs = 2, minibatches = 2,
          response-length = 6, temperature = 1.0, kl-coef = 0.02 }
        rlhf4j.async { workers = 2, prompts-per-work = 4 }
        rlhf4j { %s }
        """.formatted(overrides), "tiny.conf");
  }

  /** A run of {@code config} into {@code out}, with the same initial weights every time. */
  static PpoPipeline.Spec spec(RlhfConfig config, Path out, FaultInjection faults) {
    VectorKernels kernels = new VectorKernels();
    // with rlhf4j.lora on, the policy and the critic get adapters (their bodies start as
    // without: initialisation draws the body's tensors first)
    Gpt policyModel = new Gpt(SMALL, EnumSet.noneOf(Head.class), kernels, RewardPooling.LAST,
        config.lora());
    ParameterStore policy = policyModel.initialParameters(2, DataType.FLOAT);
    Gpt rewardModel = new Gpt(SMALL, EnumSet.of(Head.REWARD), kernels);
    ParameterStore reward = rewardModel.initialParameters(3, DataType.FLOAT);
    Gpt criticModel = new Gpt(SMALL, EnumSet.of(Head.VALUE), kernels, RewardPooling.LAST,
        config.lora());
    ParameterStore critic = criticModel.initialParameters(4, DataType.FLOAT);
    List<int[]> prompts = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      prompts.add(i % 3 == 0 ? new int[] {1 + i % 9, 2} : new int[] {1 + i % 9});
    }
    return new PpoPipeline.Spec(config, policyModel, policy, rewardModel, reward, criticModel,
        critic, Map.of("kind", "test"), EOS, PAD, prompts, out, "vector",
        new PpoPipeline.Threads(1, 1, 1), faults);
  }
}
