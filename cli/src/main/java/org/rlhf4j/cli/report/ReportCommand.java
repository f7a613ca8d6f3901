package org.rlhf4j.cli.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.rlhf4j.cli.UserInputException;
import org.rlhf4j.cli.report.MetricsSeries.Series;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code rlhf4j report RUN_DIR}: draws every stage's training curves and the eval results of a run
 * directory into {@code RUN_DIR/report/*.png} and one self-contained {@code RUN_DIR/report.html}.
 *
 * <p>The stages are the immediate subdirectories holding a {@code metrics.jsonl}, recognised by
 * their metrics (SFT, reward model, DPO, PPO), and those one level further down (a sweep's runs,
 * {@code sweep/ppo-kl0.2}), which are listed but not drawn; eval reports are the {@code *.json}
 * files in {@code RUN_DIR} and its immediate subdirectories that hold an eval measure. The page
 * opens with how to run it again ({@link RunRecord}) and the results ({@link ResultsTable}).
 * Charts render headless ({@link Plots} sets {@code java.awt.headless=true}).
 */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Draw a run directory's training curves and eval results: RUN_DIR/report/*.png "
        + "and one self-contained RUN_DIR/report.html; prints the HTML's path.",
    footerHeading = "%nExamples:%n",
    footer = {"  rlhf4j report runs/demo",
        "  rlhf4j report runs/x/ppo --smoothing 0"})
public final class ReportCommand implements Callable<Integer> {
  static final String METRICS_FILE = "metrics.jsonl";
  static final String FIGURE_DIRECTORY = "report";
  static final String HTML_FILE = "report.html";
  /**
   * Sample completions, one JSON object per line: {@code "prompt"} and one completion per model
   * label ({@code "sft"}, {@code "ppo"}, ...), drawn as a section of the page when present.
   */
  public static final String SAMPLES_FILE = "samples.jsonl";
  /** A sample's completion: {@code {"text": ..., "gold_reward": ...}} (or the text alone). */
  public static final String SAMPLE_TEXT = "text";
  public static final String SAMPLE_GOLD = "gold_reward";

  @Parameters(paramLabel = "RUN_DIR",
      description = "The run directory; its subdirectories (sft, rm, dpo, ppo, ...) each hold a "
          + "metrics.jsonl, and it or they may hold eval JSON reports.")
  Path runDir;

  @Option(names = "--smoothing", paramLabel = "W", defaultValue = "0.6",
      description = "Weight of the past in the EMA drawn over each raw training curve, in [0, 1); "
          + "0 draws the raw curves only. Default: ${DEFAULT-VALUE}, TensorBoard's.")
  double smoothing;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    if (!(smoothing >= 0 && smoothing < 1)) {
      throw new UserInputException("--smoothing: expected an EMA weight in [0, 1), got "
          + smoothing);
    }
    // 1. find the stages, the eval reports and what trained each evaluated model
    List<StageRun> stages = readStages();
    List<EvaluatedModel> models = EvaluatedModel.of(readEvals(), stages);
    RunRecord record = RunRecord.read(runDir, stages);
    Path figures = runDir.resolve(FIGURE_DIRECTORY);
    Files.createDirectories(figures);
    // 2. how to run it again, then what came out
    HtmlReport html = new HtmlReport("rlhf4j report: " + runDir.toAbsolutePath().normalize()
        .getFileName()).facts("", record.header());
    record.addStageTable(html);
    if (!models.isEmpty()) {
      ResultsTable.addTo(html, models);
    }
    // 3. the reward–KL and reward–diversity frontiers, and samples
    List<Plots.FrontierPoint> points = frontier(models, EvalReport.KL);
    if (!points.isEmpty()) {
      Path png = figures.resolve("frontier.png");
      Plots.frontier(png, "Gold reward against KL to the reference", "KL(π‖π_ref) (nats)",
          points);
      html.figure("Reward–KL frontier", png, "Each evaluated model's mean gold reward against "
          + "its sequence KL(π‖π_ref), with 95% intervals on both; up and to the left is better."
          + DEGRADED_NOTE);
    }
    List<Plots.FrontierPoint> diversity = frontier(models, EvalReport.DISTINCT2);
    if (!diversity.isEmpty()) {
      Path png = figures.resolve("frontier-distinct2.png");
      Plots.frontier(png, "Gold reward against distinct-2", "distinct-2 (distinct word pairs / "
          + "word pairs)", diversity);
      html.figure("Reward–diversity frontier", png, "Each evaluated model's mean gold reward "
          + "against the distinct-2 of its completions (with the reward's 95% interval); up and "
          + "to the right is better. A policy that wins by repeating one phrase (mode collapse) "
          + "sits far left." + DEGRADED_NOTE);
    }
    List<HtmlReport.Sample> samples = readSamples(models, stages);
    if (!samples.isEmpty()) {
      html.samples("Sample completions of the same held-out prompts", "Each completion with "
          + "its gold reward: the labeler's score of the prompt and the completion together, "
          + "as the evaluation scores them. Control characters show as escapes (\\r, \\n).",
          samples);
    }
    // 4. each stage's curves
    for (StageRun run : stages) {
      if (run.charted()) {
        drawStage(run, figures, html);
      }
    }
    // 5. the page
    html.footer(footer(record, models));
    Path page = runDir.resolve(HTML_FILE);
    html.write(page);
    PrintWriter out = spec.commandLine().getOut();
    out.println(page);
    out.flush();
    return 0;
  }

  private List<StageRun> readStages() throws IOException {
    if (!Files.isDirectory(runDir)) {
      throw new UserInputException(runDir + ": " + (Files.exists(runDir) ? "not a directory"
          : "no such directory") + "; expected a run directory whose subdirectories (sft, rm, "
          + "dpo, ppo) hold " + METRICS_FILE);
    }
    List<StageRun> stages = new ArrayList<>();
    List<StageRun> deeper = new ArrayList<>();
    for (Path dir : subdirectories(runDir)) {
      if (Files.isRegularFile(dir.resolve(METRICS_FILE))) {
        stages.add(stage(dir));
      } else {
        for (Path sub : subdirectories(dir)) {
          if (Files.isRegularFile(sub.resolve(METRICS_FILE))) {
            deeper.add(stage(sub));
          }
        }
      }
    }
    if (stages.isEmpty()) {
      throw new UserInputException(runDir + ": no subdirectory holds a " + METRICS_FILE
          + "; expected a run directory such as RUN/sft/" + METRICS_FILE + ", RUN/ppo/"
          + METRICS_FILE);
    }
    if (stages.stream().allMatch(s -> Double.isNaN(s.metrics().lastStep()))) {
      throw new UserInputException(runDir + ": no " + METRICS_FILE + " holds a numeric metric "
          + "yet; expected lines such as {\"step\": 1, \"time\": ..., \"train/loss\": 2.3}");
    }
    Comparator<StageRun> order = Comparator.comparing(StageRun::stage)
        .thenComparing(StageRun::directory);
    stages.sort(order);
    deeper.sort(order);
    stages.addAll(deeper);
    return stages;
  }

  private StageRun stage(Path dir) throws IOException {
    MetricsSeries metrics = MetricsSeries.read(dir.resolve(METRICS_FILE));
    String relative = runDir.relativize(dir).toString().replace('\\', '/');
    return new StageRun(relative, TrainingStage.of(metrics), metrics, StageRun.readConfig(dir));
  }

  private List<EvalReport> readEvals() throws IOException {
    List<Path> candidates = new ArrayList<>(jsonFiles(runDir));
    for (Path dir : subdirectories(runDir)) {
      candidates.addAll(jsonFiles(dir));
    }
    List<EvalReport> evals = new ArrayList<>();
    for (Path file : candidates) {
      String relative = runDir.relativize(file).toString().replace('\\', '/');
      String label = relative.substring(0, relative.length() - ".json".length());
      EvalReport.read(file, label).ifPresent(evals::add);
    }
    return evals;
  }

  /** The samples, each completion under its model's name, in the file's order. */
  private List<HtmlReport.Sample> readSamples(List<EvaluatedModel> models, List<StageRun> stages)
      throws IOException {
    Path file = runDir.resolve(SAMPLES_FILE);
    if (!Files.isRegularFile(file)) {
      return List.of();
    }
    ObjectMapper json = new ObjectMapper();
    List<HtmlReport.Sample> samples = new ArrayList<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      JsonNode line;
      try {
        line = json.readTree(lines.get(i));
      } catch (JsonProcessingException e) {
        throw new UserInputException(file + ":" + (i + 1) + ": malformed JSON ("
            + e.getOriginalMessage() + "); expected {\"prompt\": ..., \"sft\": ..., ...}");
      }
      if (!line.isObject() || !line.path("prompt").isTextual()) {
        throw new UserInputException(file + ":" + (i + 1) + ": expected an object with a text "
            + "\"prompt\" and one completion per model");
      }
      List<HtmlReport.Completion> completions = new ArrayList<>();
      line.fields().forEachRemaining(f -> {
        if (!f.getKey().equals("prompt")) {
          // {"text": ..., "gold_reward": ...}, or the text alone (written before the score was)
          JsonNode v = f.getValue();
          JsonNode gold = v.path(SAMPLE_GOLD);
          completions.add(new HtmlReport.Completion(
              EvaluatedModel.nameOf(f.getKey(), models, stages),
              v.isObject() ? v.path(SAMPLE_TEXT).asText() : v.asText(),
              gold.isNumber() ? OptionalDouble.of(gold.asDouble()) : OptionalDouble.empty()));
        }
      });
      samples.add(new HtmlReport.Sample(line.get("prompt").asText(), completions));
    }
    return samples;
  }

  private static List<Path> subdirectories(Path dir) throws IOException {
    try (Stream<Path> children = Files.list(dir)) {
      return children.filter(Files::isDirectory).filter(p -> !hidden(p)).sorted().toList();
    }
  }

  private static List<Path> jsonFiles(Path dir) throws IOException {
    try (Stream<Path> children = Files.list(dir)) {
      return children.filter(p -> !hidden(p) && p.getFileName().toString().endsWith(".json"))
          .filter(Files::isRegularFile).sorted().toList();
    }
  }

  private static boolean hidden(Path p) {
    return p.getFileName().toString().startsWith(".");
  }

  /** The run's timings and hashes, then where the page's data came from. */
  private Map<String, Cell> footer(RunRecord record, List<EvaluatedModel> models) {
    Map<String, Cell> footer = new LinkedHashMap<>(record.footer());
    footer.put("eval reports", Cell.of(models.isEmpty() ? "none found"
        : models.stream().map(m -> m.report().label() + ".json")
            .collect(Collectors.joining(", "))));
    footer.put("smoothing", Cell.of(smoothing == 0 ? "none" : "EMA with weight "
        + Decimals.format(smoothing) + " drawn over each raw (faint) training curve"));
    footer.put("run directory", Cell.code(runDir.toAbsolutePath().normalize().toString()));
    return footer;
  }

  private void drawStage(StageRun run, Path figures, HtmlReport html) throws IOException {
    for (TrainingStage.Chart chart : run.stage().charts) {
      List<Series> series = chart.metrics().stream().map(run.metrics()::get)
          .flatMap(Optional::stream).filter(s -> s.size() > 0).toList();
      if (series.isEmpty()) {
        continue; // e.g. objective/entropy, which not every PPO variant logs
      }
      boolean usual = run.directory().equals(run.stage().usualDirectory);
      String title = run.stage().displayName + ": " + chart.title()
          + (usual ? "" : " (" + run.directory() + ")");
      Path png = figures.resolve(run.directory() + "-" + chart.file() + ".png");
      Plots.lines(png, title, chart.yLabel(), series, smoothing);
      html.figure(title, png, chart.caption() + " From " + run.directory() + "/" + METRICS_FILE
          + ".");
    }
  }

  /** What a frontier's caption says about points marked as degraded. */
  private static final String DEGRADED_NOTE = " A point marked" + EvalReport.DEGRADED_MARK
      + " writes worse than its baseline (more invalid text, fewer real words or less than half "
      + "its distinct-2: the text column of the results).";

  private static List<Plots.FrontierPoint> frontier(List<EvaluatedModel> models, String x) {
    return models.stream().map(m -> m.report().frontierPoint(m.name(), x))
        .flatMap(Optional::stream).toList();
  }
}
