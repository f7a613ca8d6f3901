package org.rlhf4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.PpoRun;
import org.rlhf4j.learner.TrainingRun;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.model.kernels.Kernels;
import org.rlhf4j.tasks.data.JsonlReader;
import org.rlhf4j.tasks.data.PromptExample;
import org.rlhf4j.tasks.sentiment.SentimentTask;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rlhf4j ppo --sync}: PPO against a reward model, rollouts and updates taking turns. */
@Command(name = "ppo", mixinStandardHelpOptions = true,
    description = "PPO (rlhf4j.ppo: GAE with a critic, GRPO or RLOO) on prompts from --data "
        + "({\"prompt\"} JSONL) or --task, against the reward model in --reward-model.")
final class PpoCommand implements Callable<Integer> {
  @Mixin TrainingOptions options;

  @Option(names = "--reward-model", paramLabel = "DIR", required = true,
      description = "The reward model: a checkpoint written by `rlhf4j rm` (its model/ directory).")
  Path rewardModel;

  @Option(names = "--sync", required = true,
      description = "Synchronous PPO: sample a batch, then train on it (the actor pipeline that "
          + "overlaps the two is the asynchronous mode).")
  boolean sync;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    RlhfConfig c = options.config.load();
    Kernels kernels = options.kernels.create();
    boolean critic = c.ppo().advantage().equals("gae");
    boolean valueHead = critic && c.ppo().critic().equals("value-head");
    Set<Head> policyHeads = valueHead ? EnumSet.of(Head.VALUE) : EnumSet.noneOf(Head.class);
    ModelSource policy = ModelSource.load(options.init, c, policyHeads, kernels);
    if (!Files.exists(rewardModel.resolve("rlhf4j.json"))) {
      throw new UserInputException(rewardModel + ": not an rlhf4j checkpoint (no rlhf4j.json); "
          + "train one with `rlhf4j rm`");
    }
    Checkpoint.Contents rm = Checkpoint.load(rewardModel, DataType.FLOAT);
    if (!rm.heads().contains(Head.REWARD)) {
      throw new UserInputException(rewardModel + ": this checkpoint has no reward head");
    }
    if (!rm.tokenizer().equals(policy.tokenizer().describe())) {
      throw new UserInputException(rewardModel + ": its tokenizer " + rm.tokenizer()
          + " differs from the policy's " + policy.tokenizer().describe());
    }
    Gpt rewardGpt = new Gpt(rm.config(), EnumSet.of(Head.REWARD), kernels);
    Gpt criticGpt = null;
    ParameterStore criticParams = null;
    if (critic && !valueHead) {
      // InstructGPT: the critic starts from the reward model
      criticGpt = new Gpt(rm.config(), EnumSet.of(Head.VALUE), kernels);
      criticParams = ModelSource.withHeads(criticGpt, rm.params(), c.run().seed());
    }
    List<int[]> prompts = (options.usesTask() ? SentimentTask.get().trainPrompts()
        : JsonlReader.prompts().readAll(options.data()).stream().map(PromptExample::prompt).toList())
        .stream().map(p -> Tokenized.prompt(p, policy.tokenizer())).toList();
    Path out = options.out(c, "ppo");
    TrainingRun.Result r = PpoRun.run(new PpoRun.Spec(c, policy.gpt(), policy.params(), rewardGpt,
        rm.params(), criticGpt, criticParams, policy.tokenizer(), prompts, out, options.resume),
        ProgressBar.on(spec.commandLine().getErr(), "ppo"));
    spec.commandLine().getOut().printf(java.util.Locale.ROOT,
        "{\"model\": \"%s\", \"iterations\": %d, \"score\": %s}%n", r.model(), r.steps(),
        TrainCommands.number(r.keyMetric()));
    spec.commandLine().getOut().flush();
    return 0;
  }
}
