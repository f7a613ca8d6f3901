package org.rlhf4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.actors.ppo.FaultInjection;
import org.rlhf4j.actors.ppo.PpoPipeline;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.ExampleFit;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.RewardPooling;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.model.kernels.Kernels;

/**
 * The models of a PPO run, loaded and checked: the policy (with a value head when the critic is
 * one), the reward model, and a separate critic started from the reward model (InstructGPT).
 */
record PpoModels(ModelSource policy, Gpt rewardModel, ParameterStore reward, Gpt criticModel,
    ParameterStore critic) {

  /** Loads the policy from {@code init} (a fresh model if null) and the reward model. */
  static PpoModels load(RlhfConfig c, Path init, Path rewardModel, Kernels kernels)
      throws IOException {
    return load(c, init, null, rewardModel, kernels);
  }

  /**
   * Like {@link #load(RlhfConfig, Path, Path, Kernels)}, with the PEFT adapter in {@code adapter}
   * (null: none) merged into the policy from {@code init}.
   */
  static PpoModels load(RlhfConfig c, Path init, Path adapter, Path rewardModel,
      Kernels kernels) throws IOException {
    boolean gae = c.ppo().advantage().equals("gae");
    boolean valueHead = gae && c.ppo().critic().equals("value-head");
    Set<Head> policyHeads = valueHead ? EnumSet.of(Head.VALUE) : EnumSet.noneOf(Head.class);
    ModelSource policy = ModelSource.load(init, adapter, c, policyHeads, kernels, List.of());
    Checkpoint.Contents rm = rewardCheckpoint(rewardModel);
    if (!rm.tokenizer().equals(policy.tokenizer().describe())) {
      throw new UserInputException(rewardModel + ": its tokenizer ("
          + org.rlhf4j.model.tokenizer.Tokenizer.summary(rm.tokenizer()) + ") differs from the "
          + "policy's (" + org.rlhf4j.model.tokenizer.Tokenizer.summary(
              policy.tokenizer().describe()) + ")");
    }
    Gpt rewardGpt = new Gpt(rm.config(), EnumSet.of(Head.REWARD), kernels,
        RewardPooling.of(rm.state()));
    Gpt criticGpt = null;
    ParameterStore criticParams = null;
    if (gae && !valueHead) {
      // with rlhf4j.lora on, the critic gets its own adapters over the reward model's frozen
      // body: "the base weights are frozen" holds for every model the run trains, and the
      // critic's AdamW moments shrink from twice a model to twice its adapters and head
      criticGpt = new Gpt(rm.config(), EnumSet.of(Head.VALUE), kernels, RewardPooling.LAST,
          c.lora()).recomputing(c.runtime().recomputeActivations());
      criticParams = ModelSource.withHeads(criticGpt, rm.params(), c.run().seed());
    }
    return new PpoModels(policy, rewardGpt, rm.params(), criticGpt, criticParams);
  }

  /**
   * The reward model in {@code dir}: an rlhf4j checkpoint with a reward head, as `rlhf4j rm`
   * writes (a policy has none; its score would be an untrained head's); one trained with LoRA
   * comes merged, its adapters folded into its layers.
   */
  static Checkpoint.Contents rewardCheckpoint(Path dir) throws IOException {
    ModelSource.requireModelDirectory(dir);
    if (!Files.exists(dir.resolve("rlhf4j.json"))) {
      throw new UserInputException(dir + ": not an rlhf4j checkpoint (no rlhf4j.json); "
          + "train one with `rlhf4j rm`");
    }
    // a reward model trained with adapters scores with them merged
    Checkpoint.Contents rm = Checkpoint.load(dir, DataType.FLOAT).merged();
    if (!rm.heads().contains(Head.REWARD)) {
      throw new UserInputException(dir + ": this checkpoint has no reward head (heads: "
          + (rm.heads().isEmpty() ? "none, a policy" : rm.heads()) + "); pass a reward model "
          + "trained with `rlhf4j rm`");
    }
    return rm;
  }

  /** A pipeline run of these models on {@code prompts} (text, tokenized here) into {@code out}. */
  PpoPipeline.Spec spec(RlhfConfig c, List<String> prompts, Path out, String kernelsName,
      PpoPipeline.Threads threads) {
    return spec(c, prompts, i -> "prompt " + (i + 1), out, kernelsName, threads);
  }

  /**
   * Like {@link #spec(RlhfConfig, List, Path, String, PpoPipeline.Threads)}; every prompt must
   * leave room for a whole response in the context, else the prompt {@code where} names is bad
   * input, found before the run starts.
   */
  PpoPipeline.Spec spec(RlhfConfig c, List<String> prompts, IntFunction<String> where, Path out,
      String kernelsName, PpoPipeline.Threads threads) {
    List<int[]> ids = prompts.stream().map(p -> Tokenized.prompt(p, policy.tokenizer())).toList();
    ExampleFit.checkPromptsFit(ids, c.ppo().responseLength(), contextLength(), where);
    return new PpoPipeline.Spec(c, policy.gpt(), policy.params(), rewardModel, reward,
        criticModel, critic, policy.tokenizer().describe(), policy.tokenizer().eosId(),
        policy.tokenizer().padId(), ids, out, kernelsName, threads,
        new FaultInjection(c.async().crashEvery()));
  }

  /** The longest prompt + response every model of the run reads (the scorer's bound). */
  int contextLength() {
    return Math.min(policy.gpt().config().contextLength(), rewardModel.config().contextLength());
  }
}
