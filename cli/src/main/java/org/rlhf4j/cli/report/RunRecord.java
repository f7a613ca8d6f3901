package org.rlhf4j.cli.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.rlhf4j.cli.report.HtmlReport.Column;
import org.rlhf4j.cli.report.MetricsSeries.Series;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.model.tokenizer.Tokenizer;

/**
 * How a run came about, for the head of its report, and what it took, for the foot: the command
 * and commit the demo recorded in {@code summary.json}; the seed, model and tokenizer of the
 * stages' configurations and each stage's key settings, linking its {@code config.conf}; the
 * stages' timings and each model's weights hash.
 */
final class RunRecord {
  static final String SUMMARY_FILE = "summary.json";
  static final String EVAL_DIRECTORY = "eval";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path runDir;
  private final List<StageRun> stages;
  /** The demo's summary, or a missing node. */
  private final JsonNode summary;
  /** Per stage directory, its final model's {@code config.json} and {@code rlhf4j.json}. */
  private final Map<String, JsonNode> modelConfigs = new LinkedHashMap<>();
  private final Map<String, JsonNode> modelMetadata = new LinkedHashMap<>();

  private RunRecord(Path runDir, List<StageRun> stages, JsonNode summary) {
    this.runDir = runDir;
    this.stages = List.copyOf(stages);
    this.summary = summary;
  }

  /** The record of the run in {@code runDir}, whose stages are {@code stages}. */
  static RunRecord read(Path runDir, List<StageRun> stages) {
    RunRecord record = new RunRecord(runDir, stages,
        readJson(runDir.resolve(SUMMARY_FILE)).orElse(MissingNode.getInstance()));
    for (StageRun run : stages) {
      Path model = runDir.resolve(run.directory()).resolve("model");
      readJson(model.resolve("config.json")).ifPresent(
          j -> record.modelConfigs.put(run.directory(), j));
      readJson(model.resolve("rlhf4j.json")).ifPresent(
          j -> record.modelMetadata.put(run.directory(), j));
    }
    return record;
  }

  /**
   * An object read from {@code file}; empty when there is none or it does not read (a model
   * being written): the report then says less rather than fail on it.
   */
  private static Optional<JsonNode> readJson(Path file) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.ofNullable(JSON.readTree(file.toFile())).filter(JsonNode::isObject);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The facts below the title: how to run it again. */
  Map<String, Cell> header() {
    Map<String, Cell> rows = new LinkedHashMap<>();
    JsonNode command = summary.path("command");
    rows.put("command", command.isTextual() ? Cell.code(command.asText())
        : Cell.of("not recorded (rlhf4j demo records it in " + SUMMARY_FILE + ")"));
    JsonNode commit = summary.path("commit");
    rows.put("commit", commit.isTextual() ? Cell.code(commit.asText()) : Cell.of("not recorded"));
    int n = 1;
    for (JsonNode resume : summary.path("resumed")) {
      String suffix = summary.path("resumed").size() == 1 ? "" : " (" + n++ + ")";
      rows.put("resumed by" + suffix, Cell.code(resume.path("command").asText()));
      if (!resume.path("commit").asText().equals(commit.asText())) {
        rows.put("resumed at" + suffix, Cell.code(resume.path("commit").asText()
            + " (not the first run's commit)"));
      }
    }
    agreed(r -> r.config().map(c -> Long.toString(c.run().seed())))
        .ifPresent(s -> rows.put("seed", Cell.of(s)));
    agreed(this::model).ifPresent(s -> rows.put("model", Cell.of(s)));
    agreed(this::tokenizer).ifPresent(s -> rows.put("tokenizer", Cell.of(s)));
    if (Files.isRegularFile(runDir.resolve(StageRun.CONFIG_FILE))) {
      rows.put("configuration", Cell.link(StageRun.CONFIG_FILE + ": what the stages shared; each "
          + "stage's own is linked in the table below", StageRun.CONFIG_FILE));
    }
    return rows;
  }

  /**
   * Adds the table of stages: each one's directory, length, learning rate, key setting, last
   * logged metric and a link to its {@code config.conf}.
   */
  void addStageTable(HtmlReport html) {
    List<Column> columns = List.of(Column.of("stage"), Column.of("directory"),
        Column.of("ran"), Column.of("learning rate"), Column.of("setting"),
        Column.of("last logged"), Column.of("configuration"));
    List<List<Cell>> rows = new ArrayList<>();
    for (StageRun run : stages) {
      rows.add(List.of(Cell.of(run.stage().displayName), Cell.of(run.directory()),
          Cell.of(StageSettings.length(run)), Cell.of(StageSettings.learningRate(run)),
          Cell.of(StageSettings.keySettingText(run)), Cell.of(lastLogged(run)),
          configLink(run.directory())));
    }
    Optional<RlhfConfig> eval = StageRun.readConfig(runDir.resolve(EVAL_DIRECTORY));
    eval.ifPresent(c -> rows.add(List.of(Cell.of("Evaluation"), Cell.of(EVAL_DIRECTORY),
        Cell.of(c.eval().prompts() + " prompts, " + c.eval().maxNewTokens() + " new tokens"),
        Cell.of(StageSettings.NONE), Cell.of("T " + Decimals.format(c.eval().temperature())
            + ", top-k " + c.eval().topK()), Cell.of(StageSettings.NONE),
        configLink(EVAL_DIRECTORY))));
    html.table("Stages", columns, rows, List.of());
  }

  /** The facts at the foot of the page: each stage's seconds and each model's weights hash. */
  Map<String, Cell> footer() {
    Map<String, Cell> rows = new LinkedHashMap<>();
    JsonNode seconds = summary.path("stage_seconds");
    if (seconds.isObject() && seconds.size() > 0) {
      List<String> parts = new ArrayList<>();
      seconds.fields().forEachRemaining(e -> parts.add(e.getKey() + " "
          + Decimals.format(e.getValue().asDouble())));
      rows.put("stage seconds", Cell.of(String.join(", ", parts)
          + (summary.path("seconds").isNumber() ? "; whole run "
              + Decimals.format(summary.path("seconds").asDouble()) : "")));
    }
    modelMetadata.forEach((dir, meta) -> {
      if (meta.path("weights_sha256").isTextual()) {
        rows.put(dir + "/model weights SHA-256", Cell.code(meta.get("weights_sha256").asText()));
      }
    });
    return rows;
  }

  /** {@code step 1999: train/loss 5.645}, with the demo's held-out accuracy for the RM. */
  private String lastLogged(StageRun run) {
    double lastStep = run.metrics().lastStep();
    if (Double.isNaN(lastStep)) {
      return "no numeric metric yet";
    }
    String text = "step " + Decimals.format(lastStep);
    Optional<Series> key = run.metrics().get(run.stage().keyMetric).filter(s -> s.size() > 0);
    if (key.isPresent()) {
      text += ": " + key.get().name() + " " + Decimals.format(key.get().last());
    }
    if (run.stage() == TrainingStage.REWARD_MODEL && run.charted()
        && summary.path("rm_accuracy").isNumber()) {
      text += "; held-out accuracy " + Decimals.format(summary.path("rm_accuracy").asDouble());
    }
    if (run.stage() == TrainingStage.OTHER) {
      text += " (metrics not recognised: " + String.join(", ", run.metrics().names()) + ")";
    }
    return text;
  }

  private Cell configLink(String directory) {
    String path = directory + "/" + StageRun.CONFIG_FILE;
    return Files.isRegularFile(runDir.resolve(path)) ? Cell.link(path, path)
        : Cell.of(StageSettings.NONE);
  }

  /**
   * The shape of the model {@code run} trained: its {@code config.json}'s (the model's own, which
   * a stage that starts from a checkpoint keeps whatever its configuration says), else its
   * configuration's.
   */
  private Optional<String> model(StageRun run) {
    JsonNode c = modelConfigs.get(run.directory());
    if (c != null && c.path("n_layer").isInt()) {
      return Optional.of(c.path("n_layer").asInt() + " layers of width " + c.path("n_embd").asInt()
          + ", " + c.path("n_head").asInt() + " heads, " + c.path("n_positions").asInt()
          + "-token context");
    }
    return run.config().map(StageSettings::model);
  }

  /** The tokenizer {@code run}'s model keeps ({@code gpt2, learned, 8192 tokens, ...}). */
  private Optional<String> tokenizer(StageRun run) {
    JsonNode t = modelMetadata.getOrDefault(run.directory(), MissingNode.getInstance())
        .path("tokenizer");
    if (t.isObject()) {
      Map<String, String> description = new LinkedHashMap<>();
      t.fields().forEachRemaining(e -> description.put(e.getKey(), e.getValue().asText()));
      return Optional.of(Tokenizer.summary(description));
    }
    return run.config().map(StageSettings::tokenizer);
  }

  /**
   * {@code describe} of the stages when they agree, else each stage's; empty when it describes
   * none.
   */
  private Optional<String> agreed(Function<StageRun, Optional<String>> describe) {
    Map<String, String> byStage = new LinkedHashMap<>();
    stages.forEach(s -> describe.apply(s).ifPresent(d -> byStage.put(s.directory(), d)));
    Set<String> values = new LinkedHashSet<>(byStage.values());
    if (values.size() <= 1) {
      return values.stream().findFirst();
    }
    List<String> parts = new ArrayList<>();
    byStage.forEach((dir, v) -> parts.add(dir + ": " + v));
    return Optional.of(String.join("; ", parts));
  }
}
