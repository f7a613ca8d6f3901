package org.rlhf4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.DpoRun;
import org.rlhf4j.learner.RewardRun;
import org.rlhf4j.learner.RunDirectory;
import org.rlhf4j.learner.SftRun;
import org.rlhf4j.learner.TrainingRun;
import org.rlhf4j.model.Head;
import org.rlhf4j.tasks.data.JsonlReader;
import org.rlhf4j.tasks.data.SftExample;
import org.rlhf4j.tasks.sentiment.SentimentTask;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The synchronous trainers: {@code rlhf4j sft}, {@code rlhf4j rm}, {@code rlhf4j dpo}. */
final class TrainCommands {
  private TrainCommands() {}

  /** {@code rlhf4j sft}: supervised fine-tuning on {"prompt","completion"} or {"text"} lines. */
  @Command(name = "sft", mixinStandardHelpOptions = true,
      description = "Supervised fine-tuning on JSONL of {\"prompt\",\"completion\"} or {\"text\"}.",
      footerHeading = "%nExamples:%n",
      footer = {"  rlhf4j sft --task sentiment --out runs/mine/sft",
          "  rlhf4j sft --task sentiment --out runs/mine/sft --resume",
          "  rlhf4j sft --data sft.jsonl --init gpt2/ --set sft.steps=100 --seed 7"})
  static final class Sft implements Callable<Integer> {
    @Mixin TrainingOptions options;
    @Spec CommandSpec spec;

    @Option(names = "--resume", description = "Continue the stopped run in --out from its newest "
        + "checkpoint (model, optimizer and step; one every rlhf4j.sft.checkpoint-every steps).")
    void resume(boolean resume) {
      options.resume = resume;
    }

    @Override
    public Integer call() throws Exception {
      RlhfConfig c = options.config.load();
      options.checkOut(c, "sft");
      boolean task = options.usesTask();
      Path data = task ? null : options.data();
      TrainingRun.Result r;
      long dropped;
      // claimed before the data and model are loaded, so a refusal comes at once
      try (RunDirectory out = options.claim(c, RunDirectory.SFT)) {
        TrainingData.Source<SftExample> raw = task ? TrainingData.Source.task("sentiment",
            SentimentTask.get().trainTexts().stream().map(SftExample::ofText).toList())
            : TrainingData.Source.file(data, JsonlReader.sft());
        ModelSource m = options.model(c, ModelSource.none(),
            raw.values().stream().map(SftExample::text).toList());
        var examples = TrainingData.sft(raw, m.tokenizer(), c.sft(), m.gpt(), err(spec));
        options.checkResume(out.path(), m.gpt().config());
        r = SftRun.run(new SftRun.Spec(c, m.gpt(), m.params(), m.tokenizer(), examples.usable(),
            out), ProgressBar.on(err(spec), "sft"));
        dropped = examples.dropped();
      }
      print(spec, "{\"model\": \"%s\", \"steps\": %d, \"loss\": %s, \"dropped\": %d}",
          r.model(), r.steps(), number(r.keyMetric()), dropped);
      return 0;
    }
  }

  /** {@code rlhf4j rm}: a Bradley–Terry reward model on {"prompt","chosen","rejected"} lines. */
  @Command(name = "rm", mixinStandardHelpOptions = true,
      description = "Train a reward model on JSONL of {\"prompt\",\"chosen\",\"rejected\"} "
          + "(optional \"margin\"); reports held-out accuracy. With --task, the comparisons "
          + "are collected from --init first, as `rlhf4j collect` does, into "
          + "OUT/comparisons.jsonl.",
      footerHeading = "%nExamples:%n",
      footer = {"  rlhf4j rm --task sentiment --init runs/mine/sft/model --out runs/mine/rm",
          "  rlhf4j rm --data prefs.jsonl --init runs/mine/sft/model --set reward.steps=500"})
  static final class RewardModel implements Callable<Integer> {
    @Mixin TrainingOptions options;
    @Spec CommandSpec spec;

    @Option(names = "--resume", description = "Continue the stopped run in --out from its newest "
        + "checkpoint (model, optimizer and step; one every rlhf4j.reward.checkpoint-every steps).")
    void resume(boolean resume) {
      options.resume = resume;
    }

    @Override
    public Integer call() throws Exception {
      RlhfConfig c = options.config.load();
      options.checkOut(c, "rm");
      RewardRun.Result r;
      long dropped;
      try (RunDirectory out = options.claim(c, RunDirectory.RM)) {
        Path data = preferenceData(options, c, out.path(), spec);
        ModelSource m = options.model(c, EnumSet.of(Head.REWARD), List.of());
        var pairs = TrainingData.pairs(TrainingData.Source.file(data, JsonlReader.preferences()),
            m.tokenizer(), "rlhf4j.reward.max-length", c.reward().maxLength(), m.gpt(), err(spec));
        options.checkResume(out.path(), m.gpt().config());
        r = RewardRun.run(new RewardRun.Spec(c, m.gpt(), m.params(), m.tokenizer(),
            pairs.usable(), out), ProgressBar.on(err(spec), "rm"));
        dropped = pairs.dropped();
      }
      print(spec, "{\"model\": \"%s\", \"steps\": %d, \"eval_accuracy\": %s, \"eval_pairs\": %d, "
          + "\"dropped\": %d}", r.model(), r.steps(), number(r.heldOutAccuracy()), r.heldOut(),
          dropped);
      return 0;
    }
  }

  /** {@code rlhf4j dpo}: Direct Preference Optimization and its family against a frozen reference. */
  @Command(name = "dpo", mixinStandardHelpOptions = true,
      description = "DPO (sigmoid, hinge, ipo, kto_pair, robust; rlhf4j.dpo) on JSONL of "
          + "{\"prompt\",\"chosen\",\"rejected\"}; the reference is the starting model.",
      footerHeading = "%nExamples:%n",
      footer = {"  rlhf4j dpo --data runs/mine/rm/comparisons.jsonl \\",
          "      --init runs/mine/sft/model --out runs/mine/dpo",
          "  rlhf4j dpo --task sentiment --init runs/mine/sft/model --set dpo.beta=0.2"})
  static final class Dpo implements Callable<Integer> {
    @Mixin TrainingOptions options;
    @Spec CommandSpec spec;

    @Option(names = "--resume", description = "Continue the stopped run in --out from its newest "
        + "checkpoint (model, optimizer and step; one every rlhf4j.dpo.checkpoint-every steps).")
    void resume(boolean resume) {
      options.resume = resume;
    }

    @Override
    public Integer call() throws Exception {
      RlhfConfig c = options.config.load();
      options.checkOut(c, "dpo");
      TrainingRun.Result r;
      long dropped;
      try (RunDirectory out = options.claim(c, RunDirectory.DPO)) {
        Path data = preferenceData(options, c, out.path(), spec);
        ModelSource m = options.model(c, ModelSource.none(), List.of());
        var pairs = TrainingData.pairs(TrainingData.Source.file(data, JsonlReader.preferences()),
            m.tokenizer(), "rlhf4j.dpo.max-length", c.dpo().maxLength(), m.gpt(), err(spec));
        options.checkResume(out.path(), m.gpt().config());
        r = DpoRun.run(new DpoRun.Spec(c, m.gpt(), m.params(), m.tokenizer(), pairs.usable(),
            out), ProgressBar.on(err(spec), "dpo"));
        dropped = pairs.dropped();
      }
      print(spec, "{\"model\": \"%s\", \"steps\": %d, \"loss\": %s, \"dropped\": %d}",
          r.model(), r.steps(), number(r.keyMetric()), dropped);
      return 0;
    }
  }

  /**
   * Preference data: the --data file, or for --task the comparisons collected from the --init
   * policy into OUT/comparisons.jsonl (kept, and reused on --resume).
   */
  private static Path preferenceData(TrainingOptions options, RlhfConfig c, Path out,
      CommandSpec spec) throws java.io.IOException {
    if (!options.usesTask()) {
      return options.data();
    }
    if (options.init == null) {
      throw new UserInputException("--task sentiment: comparisons are sampled from a policy; pass "
          + "--init SFT_MODEL (or collect them with `rlhf4j collect` and pass --data FILE)");
    }
    Path file = out.resolve("comparisons.jsonl");
    if (!(options.resume && java.nio.file.Files.exists(file))) {
      ModelSource policy = options.model(c, ModelSource.none(), List.of());
      CollectCommand.collect(c, policy, file, spec);
    }
    return file;
  }

  private static PrintWriter err(CommandSpec spec) {
    return spec.commandLine().getErr();
  }

  /** A JSON number, or null for a metric that was never measured. */
  static String number(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6f", v) : "null";
  }

  private static void print(CommandSpec spec, String format, Object... args) {
    PrintWriter out = spec.commandLine().getOut();
    Object[] escaped = args.clone();
    for (int i = 0; i < escaped.length; i++) {
      if (escaped[i] instanceof Path p) {
        escaped[i] = p.toString().replace("\\", "\\\\").replace("\"", "\\\"");
      }
    }
    out.printf(Locale.ROOT, format + "%n", escaped);
    out.flush();
  }
}
