package org.rlhf4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.rlhf4j.actors.ppo.PpoPipeline;
import org.rlhf4j.cli.report.ReportCommand;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.DpoRun;
import org.rlhf4j.learner.RewardRun;
import org.rlhf4j.learner.RunDirectory;
import org.rlhf4j.learner.SftRun;
import org.rlhf4j.learner.TrainingRun;
import org.rlhf4j.learner.eval.Evaluation;
import org.rlhf4j.learner.eval.PolicySamples;
import org.rlhf4j.learner.eval.SamplingPlan;
import org.rlhf4j.learner.eval.ScoredText;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.model.io.AtomicFiles;
import org.rlhf4j.model.kernels.Kernels;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.tasks.data.JsonlReader;
import org.rlhf4j.tasks.data.SftExample;
import org.rlhf4j.tasks.sentiment.SentimentTask;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code rlhf4j demo}: the whole InstructGPT pipeline on the built-in sentiment task, then DPO on
 * the same comparisons, an evaluation of every model against the SFT model, and the report.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "The whole pipeline on the built-in sentiment task (about 7½ minutes on 2 "
        + "cores): a BPE learned from the corpus and SFT, comparisons (K = 4, "
        + "simulated human), reward model, PPO through the actors and DPO on the same "
        + "comparisons (each also at other KL coefficients / β for the reward–KL frontier), "
        + "evaluation against the SFT model with the gold labeler, and report.html. Everything "
        + "goes under runs/NAME (or --out); --resume continues a stopped demo. The demo's "
        + "own settings (DemoPlan) go beneath --config's file; --set and --seed over it.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  rlhf4j demo --quick",
        "  rlhf4j demo --name seed7 --seed 7 --set ppo.kl-coef=0.2",
        "  rlhf4j demo --resume"})
final class DemoCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--quick", description = "The same stages, shorter (about 3 minutes).")
  boolean quick;

  @Option(names = "--name", paramLabel = "NAME", defaultValue = "demo",
      description = "The run's name: it goes to runs/NAME. Default: ${DEFAULT-VALUE}.")
  String name;

  @Option(names = "--out", paramLabel = "DIR",
      description = "The run directory. Default: runs/NAME.")
  Path out;

  @Option(names = "--resume", description = "Continue the demo in the run directory: finished "
      + "stages are kept, a stopped one continues from its newest checkpoint (PPO's too, which "
      + "needs the options the demo started with).")
  boolean resume;

  @Option(names = "--workers", paramLabel = "N", description = "PPO rollout workers, each "
      + "sampling on its own thread. Default: ${bundle:default.rlhf4j.async.workers}.")
  Integer workers;

  @Option(names = "--stop-after", paramLabel = "STAGE", hidden = true,
      description = "Stop after this stage, as if killed there (for tests of --resume).")
  String stopAfter;

  @Mixin SeededConfigOption config;
  @Mixin KernelsOption kernels;
  @Spec CommandSpec spec;

  private DemoPlan plan;
  private DemoState state;
  private Path dir;
  private Kernels k;

  /** Thrown to end the demo after {@code --stop-after}'s stage. */
  private static final class Stopped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Stopped() {
      super(null, null, false, false);
    }
  }

  @Override
  public Integer call() throws Exception {
    plan = quick ? DemoPlan.quick() : DemoPlan.full();
    // every stage's configuration is checked before the run directory is made
    for (String stageName : List.of(DemoPlan.SFT, DemoPlan.COLLECT, DemoPlan.RM, DemoPlan.PPO,
        DemoPlan.DPO, DemoPlan.EVAL)) {
      stage(stageName);
    }
    dir = out != null ? out : Path.of("runs", name);
    OutputPaths.requireWritableDirectory(dir, "--out");
    // held until the demo ends: a second demo (or another run) into it is refused
    try (RunDirectory held = RunDirectory.claim(dir, RunDirectory.DEMO, resume)) {
      return demo();
    }
  }

  private int demo() throws IOException {
    state = DemoState.open(dir, resume);
    k = kernels.create();
    Map<String, RlhfConfig> stages = new LinkedHashMap<>();
    DemoPlan.STAGES.forEach(s -> stages.put(s, stage(s)));
    TensorThreads.bindCurrentThread(stages.get(DemoPlan.EVAL).runtime().threadsPerModel());
    // each stage writes its own effective configuration; this one says what they shared
    AtomicFiles.writeString(dir.resolve("config.conf"),
        DemoConfigFile.render(plan.name(), stages, plan.origin()));
    state.started(CommandText.of(spec), SourceCommit.ofRunningCode());
    long start = System.nanoTime();
    try {
      run();
    } catch (Stopped s) {
      return 0;
    }
    Map<String, Object> summary = summary((System.nanoTime() - start) / 1e9);
    AtomicFiles.writeString(dir.resolve("summary.json"),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(summary));
    Path report = report();
    PrintWriter o = spec.commandLine().getOut();
    o.println(JSON.writeValueAsString(summary));
    o.println("report: " + report);
    o.flush();
    return 0;
  }

  private void run() throws IOException {
    SentimentTask task = SentimentTask.get();
    // 1. supervised fine-tuning on the task's texts
    Path sftDir = dir.resolve("sft");
    once(DemoPlan.SFT, () -> {
      RlhfConfig c = stage(DemoPlan.SFT);
      ModelSource fresh = ModelSource.load(null, c, ModelSource.none(), k, task.trainTexts());
      var examples = Tokenized.sft(task.trainTexts().stream().map(SftExample::ofText).toList(),
          fresh.tokenizer());
      try (RunDirectory d = stageDir(sftDir, RunDirectory.SFT)) {
        TrainingRun.Result r = SftRun.run(new SftRun.Spec(c, fresh.gpt(), fresh.params(),
            fresh.tokenizer(), examples, d), bar("sft"));
        return DemoState.result().put("loss", r.keyMetric());
      }
    });
    Path sftModel = sftDir.resolve("model");
    // 2. K samples per prompt from the SFT model, ranked by the simulated human
    Path comparisons = dir.resolve("comparisons.jsonl");
    once(DemoPlan.COLLECT, () -> {
      RlhfConfig c = stage(DemoPlan.COLLECT);
      var s = CollectCommand.collect(c, ModelSource.load(sftModel, c, ModelSource.none(), k),
          comparisons, spec);
      return DemoState.result().put("pairs", s.pairsWritten())
          .put("gold_agreement", s.goldAgreement());
    });
    // 3. the reward model, from the SFT model
    once(DemoPlan.RM, () -> {
      RlhfConfig c = stage(DemoPlan.RM);
      ModelSource init = ModelSource.load(sftModel, c, EnumSet.of(Head.REWARD), k);
      var pairs = Tokenized.pairs(JsonlReader.preferences().readAll(comparisons),
          init.tokenizer());
      try (RunDirectory d = stageDir(dir.resolve("rm"), RunDirectory.RM)) {
        RewardRun.Result r = RewardRun.run(new RewardRun.Spec(c, init.gpt(), init.params(),
            init.tokenizer(), pairs, d), bar("rm"));
        return DemoState.result().put("accuracy", r.heldOutAccuracy())
            .put("held_out", r.heldOut());
      }
    });
    // 4. PPO through the actors, and 5. DPO on the same comparisons, each also swept
    ppo("ppo", stage(DemoPlan.PPO), task);
    dpo("dpo", stage(DemoPlan.DPO));
    for (double kl : plan.klCoefs()) {
      ppo("ppo-kl" + number(kl), ConfigLoader.withOverrides(stage(DemoPlan.PPO),
          Map.of("rlhf4j.ppo.kl-coef", kl), "the demo's frontier sweep"), task);
    }
    for (double beta : plan.betas()) {
      dpo("dpo-beta" + number(beta), ConfigLoader.withOverrides(stage(DemoPlan.DPO),
          Map.of("rlhf4j.dpo.beta", beta), "the demo's frontier sweep"));
    }
    // 6. every model against the SFT model, judged by the gold labeler
    evaluate(task);
  }

  /** Runs {@code work} unless the state says {@code name} finished; records it. */
  private void once(String stageName, StageWork work) throws IOException {
    if (state.finished(stageName).isEmpty()) {
      long start = System.nanoTime();
      ObjectNode result = work.run();
      result.put("seconds", (System.nanoTime() - start) / 1e9);
      state.finish(stageName, result);
    }
    if (stageName.equals(stopAfter)) {
      throw new Stopped();
    }
  }

  @FunctionalInterface
  private interface StageWork {
    ObjectNode run() throws IOException;
  }

  private void ppo(String label, RlhfConfig c, SentimentTask task) throws IOException {
    Path runDir = label.equals("ppo") ? dir.resolve(label) : dir.resolve("sweep").resolve(label);
    once(label, () -> {
      int t = c.runtime().threadsPerModel();
      // a PPO stage stopped midway continues from its newest learner checkpoint
      PpoPipeline.Spec s = PpoModels.load(c, dir.resolve("sft/model"), dir.resolve("rm/model"),
          k).spec(c, task.trainPrompts(), runDir, kernels.name, new PpoPipeline.Threads(t, t, t))
          .resuming(resume);
      PpoPipeline.Outcome o = PpoPipeline.run(s, bar(label), this::notice);
      return DemoState.result().put("model", runDir.resolve("model").toString())
          .put("weights_sha256", o.result().weightsSha256())
          .put("trained", o.result().learner().trained())
          .put("dropped_stale", o.result().learner().droppedStale());
    });
  }

  private void dpo(String label, RlhfConfig c) throws IOException {
    Path runDir = label.equals("dpo") ? dir.resolve(label) : dir.resolve("sweep").resolve(label);
    once(label, () -> {
      ModelSource init = ModelSource.load(dir.resolve("sft/model"), c, ModelSource.none(), k);
      var pairs = Tokenized.pairs(JsonlReader.preferences().readAll(
          dir.resolve("comparisons.jsonl")), init.tokenizer());
      try (RunDirectory d = stageDir(runDir, RunDirectory.DPO)) {
        TrainingRun.Result r = DpoRun.run(new DpoRun.Spec(c, init.gpt(), init.params(),
            init.tokenizer(), pairs, d), bar(label));
        return DemoState.result().put("model", r.model().toString()).put("loss", r.keyMetric());
      }
    });
  }

  private void evaluate(SentimentTask task) throws IOException {
    RlhfConfig c = stage(DemoPlan.EVAL);
    ModelSource sft = ModelSource.load(dir.resolve("sft/model"), c, ModelSource.none(), k);
    PolicySnapshot reference = new PolicySnapshot(sft.gpt(), sft.params(), 0);
    SamplingPlan sampling = EvalCommand.samplingPlan(c, sft.tokenizer());
    Evaluation evaluation = new Evaluation(sft.tokenizer(), SentimentTask.get().labeler(),
        ScoredText.PROMPT_AND_RESPONSE, sampling).withBaseline(reference);
    List<int[]> prompts = task.evalPrompts().stream().limit(c.eval().prompts())
        .map(p -> Tokenized.prompt(p, sft.tokenizer())).toList();
    Map<String, Path> models = models();
    Path evalDir = dir.resolve("eval");
    Files.createDirectories(evalDir);
    AtomicFiles.writeString(evalDir.resolve("config.conf"), ConfigLoader.render(c));
    for (Map.Entry<String, Path> m : models.entrySet()) {
      once("eval/" + m.getKey(), () -> {
        PrintWriter err = spec.commandLine().getErr();
        err.println("eval   " + m.getKey() + ": gold reward, KL, text quality and win rate "
            + "against SFT on " + prompts.size() + " held-out prompts");
        err.flush();
        ModelSource policy = ModelSource.load(m.getValue(), c, ModelSource.none(), k);
        Evaluation.Report r = evaluation.run(new PolicySnapshot(policy.gpt(), policy.params(),
            0), reference, prompts);
        AtomicFiles.writeString(evalDir.resolve(m.getKey() + ".json"), r.toJson() + "\n");
        return DemoState.result().put("gold_reward", r.goldReward().orElseThrow().mean());
      });
    }
    once("samples", () -> {
      writeSamples(models, task, c, sampling);
      return DemoState.result();
    });
  }

  /** The trained models by label, the SFT model first, then the main runs, then the sweeps. */
  private Map<String, Path> models() {
    Map<String, Path> m = new LinkedHashMap<>();
    m.put("sft", dir.resolve("sft/model"));
    m.put("ppo", dir.resolve("ppo/model"));
    m.put("dpo", dir.resolve("dpo/model"));
    for (double kl : plan.klCoefs()) {
      m.put("ppo-kl" + number(kl), dir.resolve("sweep/ppo-kl" + number(kl) + "/model"));
    }
    for (double beta : plan.betas()) {
      m.put("dpo-beta" + number(beta), dir.resolve("sweep/dpo-beta" + number(beta) + "/model"));
    }
    return m;
  }

  /**
   * Completions of the same held-out prompts by the SFT, PPO and DPO models, each with the gold
   * score the evaluation gives it (of the prompt and the completion together).
   */
  private void writeSamples(Map<String, Path> models, SentimentTask task, RlhfConfig c,
      SamplingPlan sampling) throws IOException {
    List<String> texts = task.evalPrompts().stream().limit(SAMPLE_PROMPTS).toList();
    Map<String, List<PolicySamples.Sample>> by = new LinkedHashMap<>();
    for (String label : List.of("sft", "ppo", "dpo")) {
      ModelSource m = ModelSource.load(models.get(label), c, ModelSource.none(), k);
      List<int[]> ids = texts.stream().map(p -> Tokenized.prompt(p, m.tokenizer())).toList();
      by.put(label, PolicySamples.draw(new PolicySnapshot(m.gpt(), m.params(), 0), ids,
          m.tokenizer(), sampling.withPerPrompt(1)).samples());
    }
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < texts.size(); i++) {
      ObjectNode line = JSON.createObjectNode().put("prompt", texts.get(i));
      for (Map.Entry<String, List<PolicySamples.Sample>> e : by.entrySet()) {
        PolicySamples.Sample sample = e.getValue().get(i);
        line.putObject(e.getKey()).put(ReportCommand.SAMPLE_TEXT, sample.responseText())
            .put(ReportCommand.SAMPLE_GOLD, task.labeler().score(
                ScoredText.PROMPT_AND_RESPONSE.of(sample)));
      }
      lines.append(JSON.writeValueAsString(line)).append('\n');
    }
    AtomicFiles.writeString(dir.resolve(ReportCommand.SAMPLES_FILE), lines.toString());
  }

  static final int SAMPLE_PROMPTS = 8;

  /** The eval measures of text quality that summary.json repeats per model. */
  static final List<String> TEXT_KEYS = List.of("invalid_text", "distinct2", "real_words",
      "sft_nll");

  private Map<String, Object> summary(double seconds) throws IOException {
    Map<String, Object> s = new LinkedHashMap<>();
    JsonNode sft = readEval("sft");
    JsonNode ppo = readEval("ppo");
    JsonNode dpo = readEval("dpo");
    s.put("sft_gold_reward", sft.path("gold_reward").asDouble());
    s.put("ppo_gold_reward", ppo.path("gold_reward").asDouble());
    s.put("dpo_gold_reward", dpo.path("gold_reward").asDouble());
    for (String method : List.of("ppo", "dpo")) {
      JsonNode e = method.equals("ppo") ? ppo : dpo;
      s.put(method + "_win_rate", e.path("win_rate").asDouble());
      s.put(method + "_win_rate_ci_low", e.path("win_rate_ci_low").asDouble());
      s.put(method + "_win_rate_ci_high", e.path("win_rate_ci_high").asDouble());
    }
    s.put("rm_accuracy", state.finished(DemoPlan.RM).orElseThrow().path("accuracy").asDouble());
    s.put("ppo_kl", ppo.path("kl").asDouble());
    s.put("dpo_kl", dpo.path("kl").asDouble());
    // text quality: what a win rate cannot see (issue 14); null where a measure is undefined
    for (String model : List.of("sft", "ppo", "dpo")) {
      JsonNode e = model.equals("sft") ? sft : model.equals("ppo") ? ppo : dpo;
      for (String key : TEXT_KEYS) {
        for (String part : List.of("", "_ci_low", "_ci_high")) {
          if (part.isEmpty() || e.has(key + part)) { // distinct-2 has no interval
            JsonNode v = e.path(key + part);
            s.put(model + "_" + key + part, v.isNumber() ? v.asDouble() : null);
          }
        }
      }
    }
    s.put("ppo_text_quality", ppo.path("text_quality").asText());
    s.put("dpo_text_quality", dpo.path("text_quality").asText());
    s.put("plan", plan.name());
    // how to reproduce it: the first command decided the plan; a resume may have run other code
    JsonNode invocations = state.invocations();
    s.put("command", invocations.path(0).path("command").asText(SourceCommit.UNKNOWN));
    s.put("commit", invocations.path(0).path("commit").asText(SourceCommit.UNKNOWN));
    List<JsonNode> resumed = new ArrayList<>();
    invocations.forEach(resumed::add);
    s.put("resumed", resumed.subList(Math.min(1, resumed.size()), resumed.size()));
    s.put("seconds", seconds);
    Map<String, Double> stages = new LinkedHashMap<>();
    for (String stageName : List.of(DemoPlan.SFT, DemoPlan.COLLECT, DemoPlan.RM, "ppo", "dpo")) {
      state.finished(stageName).ifPresent(r -> stages.put(stageName, r.path("seconds")
          .asDouble()));
    }
    s.put("stage_seconds", stages);
    s.put("ppo_weights_sha256", state.finished("ppo").orElseThrow().path("weights_sha256")
        .asText());
    return s;
  }

  private JsonNode readEval(String label) throws IOException {
    return JSON.readTree(dir.resolve("eval").resolve(label + ".json").toFile());
  }

  private Path report() {
    CommandLine cl = new CommandLine(new ReportCommand());
    StringWriter sink = new StringWriter();
    cl.setOut(new PrintWriter(sink));
    cl.setErr(spec.commandLine().getErr());
    int exit = cl.execute(dir.toString());
    if (exit != 0) {
      throw new IllegalStateException("the report failed (exit " + exit + ")");
    }
    return dir.resolve("report.html");
  }

  /**
   * The configuration of {@code stage}: the plan's settings beneath the user's file, --set and
   * --seed over it, and --workers over all.
   */
  private RlhfConfig stage(String stageName) {
    RlhfConfig c = config.load(plan.of(stageName), plan.origin());
    return workers == null ? c : ConfigLoader.withOverrides(c,
        Map.of("rlhf4j.async.workers", workers), "--workers " + workers);
  }

  private void notice(String message) {
    PrintWriter err = spec.commandLine().getErr();
    err.println("rlhf4j: " + message);
    err.flush();
  }

  private ProgressBar bar(String stageName) {
    return ProgressBar.on(spec.commandLine().getErr(), stageName);
  }

  /**
   * A stage's own run directory. An unfinished stage's directory exists only when the demo is
   * resumed (a new demo's directory was empty), and then it continues from its checkpoint.
   */
  private RunDirectory stageDir(Path runDir, String kind) throws IOException {
    return RunDirectory.claim(runDir, kind, resume);
  }

  private static String number(double v) {
    return String.format(Locale.ROOT, "%s", v).replaceAll("\\.?0+$", "");
  }
}
