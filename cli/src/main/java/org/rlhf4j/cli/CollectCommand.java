package org.rlhf4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.rlhf4j.config.CollectConfig;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.collect.CollectedComparisons;
import org.rlhf4j.learner.collect.CollectionPlan;
import org.rlhf4j.learner.collect.ComparisonCollector;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;
import org.rlhf4j.tasks.sentiment.SentimentTask;
import org.rlhf4j.tasks.sentiment.SimulatedHuman;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rlhf4j collect}: K samples per prompt from a policy, ranked, as preference JSONL. */
@Command(name = "collect", mixinStandardHelpOptions = true,
    description = "Collect comparisons for the task: K responses per training prompt from --init, "
        + "ranked by a simulated human (Plackett–Luce on gold scores: it picks the best with "
        + "probability softmax(score / T), then the best of the rest, and so on; "
        + "rlhf4j.collect), all K·(K−1)/2 pairs written as {\"prompt\",\"chosen\",\"rejected\"} "
        + "JSONL.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  rlhf4j collect --task sentiment --init runs/demo/sft/model \\",
        "      --out comparisons.jsonl",
        "  rlhf4j collect --task sentiment --init runs/demo/sft/model \\",
        "      --out noisy.jsonl --set collect.human-temperature=0.5 --seed 7"})
final class CollectCommand implements Callable<Integer> {
  @Option(names = "--task", paramLabel = "NAME", required = true,
      description = "The task: sentiment.")
  String task;

  @Option(names = "--init", paramLabel = "DIR", required = true,
      description = "The policy to sample from (usually the SFT model, its run's DIR/model).")
  Path init;

  @Option(names = "--out", paramLabel = "FILE", required = true,
      description = "The preference JSONL to write (atomically).")
  Path out;

  @Mixin SeededConfigOption config;
  @Mixin KernelsOption kernels;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (!task.equals("sentiment")) {
      throw new UserInputException("--task: unknown task '" + task + "', expected sentiment");
    }
    RlhfConfig c = config.load();
    OutputPaths.requireWritableFile(out, "--out");
    ModelSource.requireModelDirectory(init, "--init");
    TensorThreads.bindCurrentThread(c.runtime().threadsPerModel());
    ModelSource m = ModelSource.load(init, c, ModelSource.none(), kernels.create());
    CollectedComparisons.Summary s = collect(c, m, out, spec);
    spec.commandLine().getOut().printf(Locale.ROOT, "{\"file\": \"%s\", \"prompts\": %d, "
        + "\"pairs\": %d, \"ties_dropped\": %d, \"chosen_gold\": %s, \"rejected_gold\": %s, "
        + "\"gold_agreement\": %s}%n",
        out.toString().replace("\\", "\\\\").replace("\"", "\\\""), s.prompts(), s.pairsWritten(),
        s.tiedPairsDropped(),
        TrainCommands.number(s.meanChosenScore()), TrainCommands.number(s.meanRejectedScore()),
        TrainCommands.number(s.goldAgreement()));
    spec.commandLine().getOut().flush();
    return 0;
  }

  /** Collects the sentiment task's comparisons from {@code m} into {@code out}. */
  static CollectedComparisons.Summary collect(RlhfConfig c, ModelSource m, Path out,
      CommandSpec spec) throws java.io.IOException {
    CollectConfig cc = c.collect();
    SamplingSettings sampling = new SamplingSettings(cc.temperature(), 0, 1.0, false,
        cc.maxNewTokens(), new int[] {m.tokenizer().eosId()});
    CollectionPlan plan = CollectionPlan.of(sampling, c.run().seed())
        .withResponsesPerPrompt(cc.samplesPerPrompt()).withDropTies(cc.dropTies());
    PolicySnapshot policy = new PolicySnapshot(m.gpt(), m.params(), 0);
    SentimentTask sentiment = SentimentTask.get();
    ComparisonCollector collector = cc.humanTemperature() == 0
        ? ComparisonCollector.byGoldScore(policy, m.tokenizer(), sentiment.labeler(), plan)
        : ComparisonCollector.bySimulatedHuman(policy, m.tokenizer(),
            new SimulatedHuman(sentiment.labeler(), cc.humanTemperature(), c.run().seed()), plan);
    List<String> prompts = sentiment.trainPrompts().stream().limit(cc.prompts()).toList();
    CollectedComparisons result = collector.collect(prompts,
        ProgressBar.on(spec.commandLine().getErr(), "collect"));
    if (out.toAbsolutePath().getParent() != null) {
      Files.createDirectories(out.toAbsolutePath().getParent());
    }
    CollectedComparisons.Summary summary = result.summary();
    if (summary.pairsWritten() == 0 && summary.tiedPairsDropped() > 0) {
      throw new UserInputException(out + ": every one of the " + summary.tiedPairsDropped()
          + " pairs with different texts tied on the gold labeler, so none was written; collect "
          + "from more prompts (rlhf4j.collect.prompts) or keep ties (rlhf4j.collect.drop-ties = "
          + "false)");
    }
    result.write(out);
    return summary;
  }
}
