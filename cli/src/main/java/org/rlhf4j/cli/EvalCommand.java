package org.rlhf4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.ExampleFit;
import org.rlhf4j.learner.eval.Evaluation;
import org.rlhf4j.learner.eval.MeanInterval;
import org.rlhf4j.learner.eval.SamplingPlan;
import org.rlhf4j.learner.eval.ScoredText;
import org.rlhf4j.learner.eval.SequenceScorer;
import org.rlhf4j.learner.eval.TextQuality;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.model.io.AtomicFiles;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.model.kernels.Kernels;
import org.rlhf4j.model.tokenizer.Tokenizer;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;
import org.rlhf4j.tasks.data.JsonlReader;
import org.rlhf4j.tasks.sentiment.SentimentTask;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code rlhf4j eval}: gold reward, KL to the reference, text quality, the reference's NLL of the
 * samples, win rate and reward-model score and accuracy, on the task's held-out prompts or the
 * user's own.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Evaluate a policy on the sentiment task's held-out prompts or on --prompts: "
        + "mean gold (VADER) reward, sequence KL(π‖π_ref) by sampling, text quality (invalid "
        + "text, distinct-1/2, real words), the reference's NLL per token of the samples, win "
        + "rate against a baseline, reward-model score and accuracy on held-out comparisons; "
        + "prints a table and writes JSON. Without --task, what needs no gold labeler.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  rlhf4j eval --task sentiment --policy runs/demo/ppo/model \\",
        "      --baseline runs/demo/sft/model",
        "  rlhf4j eval --task sentiment --policy runs/demo/ppo/model \\",
        "      --reward-model runs/demo/rm/model \\",
        "      --comparisons runs/demo/comparisons.jsonl",
        "  rlhf4j eval --prompts prompts.jsonl --policy runs/demo/dpo/model \\",
        "      --reference runs/demo/sft/model --set eval.top-k=50 --seed 7"})
final class EvalCommand implements Callable<Integer> {
  @Option(names = "--task", paramLabel = "NAME",
      description = "The task whose gold labeler judges: sentiment. "
      + "Without --prompts its held-out prompts are used.")
  String task;

  @Option(names = "--prompts", paramLabel = "FILE", description = "Prompts to evaluate on, TRL's "
      + "{\"prompt\"} JSONL (every line is used). Without --task: no gold reward or win rate.")
  Path promptsFile;

  @Option(names = "--policy", paramLabel = "DIR", required = true,
      description = "The policy to evaluate: a run's DIR/model, a Hugging Face GPT-2 "
          + "directory or a PEFT LoRA adapter directory (merged into its base).")
  Path policy;

  @Option(names = "--reference", paramLabel = "DIR",
      description = "The reference for the KL and the NLL. Default: --baseline, else the "
          + "policy itself.")
  Path reference;

  @Option(names = "--baseline", paramLabel = "DIR",
      description = "The policy to compute the win rate and compare text quality against (e.g. "
          + "the SFT model).")
  Path baseline;

  @Option(names = "--reward-model", paramLabel = "DIR",
      description = "A reward model: its mean score of the samples, and its accuracy on "
          + "--comparisons when given.")
  Path rewardModel;

  @Option(names = "--comparisons", paramLabel = "FILE",
      description = "Held-out preference JSONL for the reward model's accuracy.")
  Path comparisons;

  @Option(names = "--out", paramLabel = "FILE",
      description = "Where to write the JSON report. Default: "
          + "runs/<rlhf4j.run.name>/eval.json.")
  Path out;

  @Mixin SeededConfigOption config;
  @Mixin KernelsOption kernels;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (task != null && !task.equals(SentimentTask.NAME)) {
      throw new UserInputException("--task: unknown task '" + task + "', expected sentiment");
    }
    if (task == null && promptsFile == null) {
      throw new UserInputException("expected --task sentiment (its held-out prompts, judged by "
          + "its labeler), --prompts FILE (your own prompts), or both");
    }
    if (comparisons != null && rewardModel == null) {
      throw new UserInputException("--comparisons needs --reward-model: the accuracy is the "
          + "reward model's");
    }
    RlhfConfig c = config.load();
    // every input is checked before the evaluation, which samples for minutes
    Path file = out != null ? out : Path.of("runs", c.run().name(), "eval.json");
    OutputPaths.requireWritableFile(file, "--out");
    ModelSource.requireModelDirectory(policy, "--policy");
    if (reference != null) {
      ModelSource.requireModelDirectory(reference, "--reference");
    }
    if (baseline != null) {
      ModelSource.requireModelDirectory(baseline, "--baseline");
    }
    if (rewardModel != null) {
      ModelSource.requireModelDirectory(rewardModel, "--reward-model");
    }
    TrainingData.Source<String> promptTexts = promptsFile != null ? userPrompts(promptsFile)
        : TrainingData.Source.task(SentimentTask.NAME, SentimentTask.get().evalPrompts().stream()
            .limit(c.eval().prompts()).toList());
    Checkpoint.Contents rm = rewardModel == null ? null : PpoModels.rewardCheckpoint(rewardModel);
    TensorThreads.bindCurrentThread(c.runtime().threadsPerModel());
    Kernels k = kernels.create();
    ModelSource policyModel = ModelSource.load(policy, c, ModelSource.none(), k);
    List<int[]> prompts = promptTexts.values().stream()
        .map(p -> Tokenized.prompt(p, policyModel.tokenizer())).toList();
    ExampleFit.checkPromptsFit(prompts, "rlhf4j.eval.max-new-tokens", c.eval().maxNewTokens(),
        policyModel.gpt().config().contextLength(), promptTexts.where());
    PolicySnapshot policySnapshot = new PolicySnapshot(policyModel.gpt(), policyModel.params(), 0);
    Path referenceDir = reference != null ? reference : baseline;
    PolicySnapshot referenceSnapshot = referenceDir == null ? policySnapshot
        : snapshot(ModelSource.load(referenceDir, c, ModelSource.none(), k), policyModel);
    SamplingPlan plan = samplingPlan(c, policyModel.tokenizer());
    Evaluation evaluation = task == null
        ? Evaluation.withoutLabeler(policyModel.tokenizer(), plan)
        : new Evaluation(policyModel.tokenizer(), SentimentTask.get().labeler(),
            ScoredText.PROMPT_AND_RESPONSE, plan);
    if (baseline != null) {
      evaluation = evaluation.withBaseline(snapshot(ModelSource.load(baseline, c,
          ModelSource.none(), k), policyModel));
    }
    if (rewardModel != null) {
      var rmGpt = new org.rlhf4j.model.Gpt(rm.config(), EnumSet.of(Head.REWARD), k,
          org.rlhf4j.model.RewardPooling.of(rm.state()));
      SequenceScorer scorer = SequenceScorer.rewardModel(rmGpt, rm.params(),
          policyModel.tokenizer().padId(), 32);
      evaluation = comparisons == null ? evaluation.withRewardModel(scorer)
          : evaluation.withRewardModel(scorer, Tokenized.pairs(JsonlReader.preferences()
              .readAll(existing(comparisons)), policyModel.tokenizer()));
    }
    Evaluation.Report report = evaluation.run(policySnapshot, referenceSnapshot, prompts);
    printTable(spec.commandLine().getOut(), report);
    Files.createDirectories(file.toAbsolutePath().getParent());
    AtomicFiles.writeString(file, report.toJson() + "\n");
    spec.commandLine().getOut().println("wrote " + file);
    spec.commandLine().getOut().flush();
    return 0;
  }

  /** The prompts of a TRL {@code {"prompt"}} file, at least one. */
  private static TrainingData.Source<String> userPrompts(Path file) throws Exception {
    var numbered = JsonlReader.prompts().readAllNumbered(existing(file)).stream()
        .map(n -> new JsonlReader.Numbered<>(n.line(), n.example().prompt())).toList();
    if (numbered.isEmpty()) {
      throw new UserInputException(file + ": no prompts; expected JSONL lines such as "
          + "{\"prompt\": \"The movie was\"}");
    }
    return new TrainingData.Source<>(file.toString(), numbered);
  }

  /** How every evaluation samples: rlhf4j.eval's settings, one response per prompt. */
  static SamplingPlan samplingPlan(RlhfConfig c, org.rlhf4j.model.tokenizer.Tokenizer tokenizer) {
    return new SamplingPlan(new SamplingSettings(c.eval().temperature(), c.eval().topK(),
        c.eval().topP(), false, c.eval().maxNewTokens(), new int[] {tokenizer.eosId()}), 1, 64,
        c.run().seed());
  }

  private static PolicySnapshot snapshot(ModelSource m, ModelSource policy) {
    if (!m.tokenizer().describe().equals(policy.tokenizer().describe())) {
      throw new UserInputException("the models use different tokenizers: "
          + Tokenizer.summary(m.tokenizer().describe()) + " and "
          + Tokenizer.summary(policy.tokenizer().describe()));
    }
    return new PolicySnapshot(m.gpt(), m.params(), 0);
  }

  static Path existing(Path file) throws java.nio.file.NoSuchFileException {
    if (!Files.isRegularFile(file)) {
      throw new java.nio.file.NoSuchFileException(file.toString());
    }
    return file;
  }

  private static void printTable(PrintWriter out, Evaluation.Report r) {
    out.printf(Locale.ROOT, "%-22s %10s %22s%n", "metric", "value", "95% interval");
    r.goldReward().ifPresent(g -> row(out, "gold reward (VADER)", g));
    row(out, "KL(policy || ref)", r.kl());
    text(out, "", r.textQuality());
    row(out, "ref NLL per token", r.sftNll());
    r.rewardModelScore().ifPresent(s -> row(out, "reward-model score", s));
    r.winRate().ifPresent(w -> row(out, "win rate vs baseline", w.rate()));
    r.baselineTextQuality().ifPresent(b -> text(out, "baseline ", b));
    r.rewardModelAccuracy().ifPresent(a -> row(out, "reward-model accuracy", a.accuracy()));
    out.printf(Locale.ROOT, "%-22s %10d%n", "prompts", r.prompts());
    r.textVerdict().ifPresent(v -> out.println("text vs baseline: " + v));
  }

  private static void text(PrintWriter out, String prefix, TextQuality t) {
    row(out, prefix + "invalid text", t.invalidText());
    out.printf(Locale.ROOT, "%-22s %10.4f%n", prefix + "distinct-1", t.distinct1());
    out.printf(Locale.ROOT, "%-22s %10.4f%n", prefix + "distinct-2", t.distinct2());
    t.realWords().ifPresent(w -> row(out, prefix + "real words", w));
  }

  private static void row(PrintWriter out, String name, MeanInterval m) {
    out.printf(Locale.ROOT, "%-22s %10.4f   [%8.4f, %8.4f]%n", name, m.mean(), m.low(), m.high());
  }
}
