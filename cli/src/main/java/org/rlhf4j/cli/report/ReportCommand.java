package org.rlhf4j.cli.report;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * their metrics (SFT, reward model, DPO, PPO); eval reports are the {@code *.json} files in
 * {@code RUN_DIR} and its immediate subdirectories that hold an eval measure. Charts render
 * headless ({@link Plots} sets {@code java.awt.headless=true}).
 */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Draw a run directory's training curves and eval results: RUN_DIR/report/*.png "
        + "and one self-contained RUN_DIR/report.html; prints the HTML's path.")
public final class ReportCommand implements Callable<Integer> {
  static final String METRICS_FILE = "metrics.jsonl";
  static final String FIGURE_DIRECTORY = "report";
  static final String HTML_FILE = "report.html";
  /**
   * Sample completions, one JSON object per line: {@code "prompt"} and one completion per model
   * label ({@code "sft"}, {@code "ppo"}, ...), drawn as a section of the page when present.
   */
  public static final String SAMPLES_FILE = "samples.jsonl";

  @Parameters(paramLabel = "RUN_DIR",
      description = "The run directory; its subdirectories (sft, rm, dpo, ppo, ...) each hold a "
          + "metrics.jsonl, and it or they may hold eval JSON reports.")
  Path runDir;

  @Option(names = "--smoothing", paramLabel = "W", defaultValue = "0.6",
      description = "Weight of the past in the EMA drawn over each raw training curve, in [0, 1); "
          + "0 draws the raw curves only (default: ${DEFAULT-VALUE}, TensorBoard's).")
  double smoothing;

  @Spec CommandSpec spec;

  /** One stage directory's metrics. */
  private record StageRun(String directory, TrainingStage stage, MetricsSeries metrics) {}

  @Override
  public Integer call() throws IOException {
    if (!(smoothing >= 0 && smoothing < 1)) {
      throw new UserInputException("--smoothing: expected an EMA weight in [0, 1), got "
          + smoothing);
    }
    // 1. find the stages and the eval reports
    List<StageRun> stages = readStages();
    List<EvalReport> evals = readEvals();
    // 2. draw each stage's curves
    Path figures = runDir.resolve(FIGURE_DIRECTORY);
    Files.createDirectories(figures);
    HtmlReport html = new HtmlReport("rlhf4j report: " + runDir.toAbsolutePath().normalize()
        .getFileName(), summary(stages, evals));
    for (StageRun run : stages) {
      drawStage(run, figures, html);
    }
    // 3. the reward–KL and reward–diversity frontiers and the table of eval results
    List<Plots.FrontierPoint> points = frontier(evals, EvalReport.KL);
    if (!points.isEmpty()) {
      Path png = figures.resolve("frontier.png");
      Plots.frontier(png, "Gold reward against KL to the reference", "KL(π‖π_ref) (nats)",
          points);
      html.figure("Reward–KL frontier", png, "Each eval report's mean gold reward against its "
          + "sequence KL(π‖π_ref), with 95% intervals on both; up and to the left is better."
          + DEGRADED_NOTE);
    }
    List<Plots.FrontierPoint> diversity = frontier(evals, EvalReport.DISTINCT2);
    if (!diversity.isEmpty()) {
      Path png = figures.resolve("frontier-distinct2.png");
      Plots.frontier(png, "Gold reward against distinct-2", "distinct-2 (distinct word pairs / "
          + "word pairs)", diversity);
      html.figure("Reward–diversity frontier", png, "Each eval report's mean gold reward "
          + "against the distinct-2 of its completions (with the reward's 95% interval); up and "
          + "to the right is better. A policy that wins by repeating one phrase (mode collapse) "
          + "sits far left." + DEGRADED_NOTE);
    }
    if (!evals.isEmpty()) {
      evalTable(evals, html);
    }
    List<HtmlReport.Sample> samples = readSamples();
    if (!samples.isEmpty()) {
      html.samples("Sample completions of the same held-out prompts", samples);
    }
    // 4. the page
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
    for (Path dir : subdirectories()) {
      Path file = dir.resolve(METRICS_FILE);
      if (Files.isRegularFile(file)) {
        MetricsSeries metrics = MetricsSeries.read(file);
        stages.add(new StageRun(dir.getFileName().toString(), TrainingStage.of(metrics), metrics));
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
    stages.sort(Comparator.comparing(StageRun::stage).thenComparing(StageRun::directory));
    return stages;
  }

  private List<EvalReport> readEvals() throws IOException {
    List<Path> candidates = new ArrayList<>(jsonFiles(runDir));
    for (Path dir : subdirectories()) {
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

  private List<HtmlReport.Sample> readSamples() throws IOException {
    Path file = runDir.resolve(SAMPLES_FILE);
    if (!Files.isRegularFile(file)) {
      return List.of();
    }
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    List<HtmlReport.Sample> samples = new ArrayList<>();
    List<String> lines = Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      com.fasterxml.jackson.databind.JsonNode line;
      try {
        line = json.readTree(lines.get(i));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new UserInputException(file + ":" + (i + 1) + ": malformed JSON ("
            + e.getOriginalMessage() + "); expected {\"prompt\": ..., \"sft\": ..., ...}");
      }
      if (!line.isObject() || !line.path("prompt").isTextual()) {
        throw new UserInputException(file + ":" + (i + 1) + ": expected an object with a text "
            + "\"prompt\" and one completion per model");
      }
      Map<String, String> completions = new LinkedHashMap<>();
      line.fields().forEachRemaining(f -> {
        if (!f.getKey().equals("prompt")) {
          completions.put(f.getKey(), f.getValue().asText());
        }
      });
      samples.add(new HtmlReport.Sample(line.get("prompt").asText(), completions));
    }
    return samples;
  }

  private List<Path> subdirectories() throws IOException {
    try (Stream<Path> children = Files.list(runDir)) {
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

  private Map<String, String> summary(List<StageRun> stages, List<EvalReport> evals) {
    Map<String, String> summary = new LinkedHashMap<>();
    summary.put("run directory", runDir.toAbsolutePath().normalize().toString());
    for (StageRun run : stages) {
      summary.put(run.directory() + "/" + METRICS_FILE, describe(run));
    }
    summary.put("eval reports", evals.isEmpty() ? "none found"
        : evals.stream().map(e -> e.label() + ".json").collect(Collectors.joining(", ")));
    summary.put("smoothing", smoothing == 0 ? "none" : "EMA with weight " + smoothing
        + " drawn over each raw (faint) curve");
    return summary;
  }

  private static String describe(StageRun run) {
    double lastStep = run.metrics().lastStep();
    if (Double.isNaN(lastStep)) {
      return run.stage().displayName + ", no numeric metric yet";
    }
    String text = run.stage().displayName + ", up to step " + Decimals.format(lastStep);
    Optional<Series> key = run.metrics().get(run.stage().keyMetric).filter(s -> s.size() > 0);
    if (key.isPresent()) {
      text += ", last " + key.get().name() + " " + Decimals.format(key.get().last());
    }
    if (run.stage() == TrainingStage.OTHER) {
      text += " (metrics not recognised: " + String.join(", ", run.metrics().names()) + ")";
    }
    return text;
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
      + "its distinct-2: the text_quality row of the table).";

  private static List<Plots.FrontierPoint> frontier(List<EvalReport> evals, String x) {
    return evals.stream().map(e -> e.frontierPoint(x)).flatMap(Optional::stream).toList();
  }

  private static void evalTable(List<EvalReport> evals, HtmlReport html) {
    List<String> measures = new ArrayList<>(evals.stream().flatMap(e -> e.measures().stream())
        .distinct().toList());
    // the verdict on the text first: a win by destroying text must not hide below the numbers
    if (measures.remove(EvalReport.TEXT_QUALITY)) {
      measures.add(0, EvalReport.TEXT_QUALITY);
    }
    List<String> header = new ArrayList<>();
    header.add("measure");
    evals.forEach(e -> header.add(e.label() + ".json"
        + (e.textDegraded() ? " \u26a0 text degraded" : "")));
    List<List<String>> rows = new ArrayList<>();
    for (String measure : measures) {
      List<String> row = new ArrayList<>();
      row.add(measure);
      evals.forEach(e -> row.add(e.cell(measure)));
      rows.add(row);
    }
    long degraded = evals.stream().filter(EvalReport::textDegraded).count();
    html.table("Eval reports (value [95% interval])" + (degraded == 0 ? ""
        : "; \u26a0 " + degraded + " of " + evals.size() + " write worse than their baseline"),
        header, rows);
  }
}
