package org.rlhf4j.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rlhf4j.cli.Rlhf4j;
import org.rlhf4j.cli.UserInputException;
import picocli.CommandLine;

class ReportCommandTest {
  @TempDir Path run;

  /** What one run of the command printed and returned. */
  record Result(int exit, String out, String err) {}

  private static Result bare(String... args) {
    return execute(new CommandLine(new ReportCommand()), args);
  }

  /** Through the real command line, whose handler maps bad input to exit 2. */
  private static Result registered(String... args) {
    CommandLine cl = Rlhf4j.commandLine();
    String[] withName = Stream.concat(Stream.of("report"), Stream.of(args)).toArray(String[]::new);
    return execute(cl, withName);
  }

  private static Result execute(CommandLine cl, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  /** {@code steps} lines of {@code {"step", "time", ...}}, the metrics from {@code line(step)}. */
  private void metrics(String stage, int steps, IntFunction<String> line) throws IOException {
    List<String> lines = new ArrayList<>();
    for (int step = 1; step <= steps; step++) {
      lines.add(String.format(Locale.ROOT, "{\"step\":%d,\"time\":%.1f,%s}", step,
          1.7e9 + step, line.apply(step)));
    }
    Files.createDirectories(run.resolve(stage));
    Files.write(run.resolve(stage).resolve("metrics.jsonl"), lines);
  }

  private static String decay(int step, double from, double to) {
    double v = to + (from - to) * Math.exp(-step / 15.0) + 0.03 * Math.sin(step * 2.3);
    return String.format(Locale.ROOT, "%.6f", v);
  }

  /** SFT with a "NaN" loss, a reward model with a missing key, DPO, PPO without entropy. */
  private void writeRun(boolean ppoEntropy) throws IOException {
    metrics("sft", 60, s -> "\"train/loss\":" + (s == 7 ? "\"NaN\"" : decay(s, 4, 1.5))
        + ",\"train/num_tokens\":" + 512 * s);
    metrics("rm", 40, s -> "\"train/loss\":" + decay(s, 0.69, 0.4)
        + (s % 5 == 0 ? "" : ",\"train/accuracy\":" + decay(s, 0.5, 0.8))
        + ",\"train/margin\":" + decay(s, 0, 1));
    metrics("dpo", 50, s -> "\"train/loss\":" + decay(s, 0.69, 0.3) + ",\"rewards/accuracies\":"
        + decay(s, 0.5, 0.9) + ",\"rewards/margins\":" + decay(s, 0, 2) + ",\"rewards/chosen\":"
        + decay(s, 0, 0.5) + ",\"rewards/rejected\":" + decay(s, 0, -1.5));
    metrics("ppo", 80, s -> "\"objective/scores\":" + decay(s, -0.2, 0.6) + ",\"objective/kl\":"
        + decay(s, 0, 3) + ",\"objective/rlhf_reward\":" + decay(s, -0.2, 0.45)
        + (ppoEntropy ? ",\"objective/entropy\":" + decay(s, 3, 2) : "")
        + ",\"policy/approxkl_avg\":" + decay(s, 0.02, 0.01) + ",\"policy/clipfrac_avg\":"
        + decay(s, 0.2, 0.1) + ",\"loss/policy_avg\":" + decay(s, 0, -0.1)
        + ",\"loss/value_avg\":" + (s == 3 ? "\"Infinity\"" : decay(s, 1, 0.2))
        + ",\"val/ratio\":1.0");
    Files.writeString(run.resolve("eval-ppo.json"), "{\"prompts\":64,\"samples\":64,"
        + "\"gold_reward\":0.4321,\"gold_reward_ci_low\":0.4012,\"gold_reward_ci_high\":0.463,"
        + "\"kl\":2.75,\"kl_ci_low\":2.5,\"kl_ci_high\":3.0,"
        + "\"win_rate\":0.6875,\"win_rate_ci_low\":0.5664,\"win_rate_ci_high\":0.7886,"
        + "\"win_rate_wins\":42,\"win_rate_ties\":4,\"win_rate_losses\":18,"
        + "\"rm_accuracy\":0.71,\"rm_accuracy_ci_low\":0.65,\"rm_accuracy_ci_high\":0.76,"
        + "\"rm_pairs\":200}\n");
    Files.writeString(run.resolve("dpo").resolve("eval.json"), "{\"prompts\":1,\"samples\":1,"
        + "\"gold_reward\":0.25,\"gold_reward_ci_low\":null,\"gold_reward_ci_high\":null,"
        + "\"kl\":1.5,\"kl_ci_low\":null,\"kl_ci_high\":null}\n");
    Files.writeString(run.resolve("notes.json"), "{\"comment\":\"not an eval report\"}");
  }

  private List<String> pngs() throws IOException {
    try (Stream<Path> files = Files.list(run.resolve("report"))) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aRunDirectoryBecomesChartsAndOnePage() throws IOException {
    writeRun(false);
    Result r = bare(run.toString());
    assertEquals(0, r.exit(), r.err());
    Path html = run.resolve("report.html");
    assertEquals(html.toString(), r.out().strip());

    List<String> expected = List.of("dpo-loss.png", "dpo-reward-accuracy.png", "frontier.png",
        "ppo-approxkl-clipfrac.png", "ppo-kl.png", "ppo-score.png", "rm-accuracy.png",
        "rm-loss.png", "sft-loss.png");
    assertEquals(expected, pngs(), "no entropy chart without objective/entropy");
    for (String png : expected) {
      ChartImages.assertDrawn(run.resolve("report").resolve(png));
    }

    String page = Files.readString(html, StandardCharsets.UTF_8);
    assertEquals(expected.size(), HtmlReportTest.count(page, "data:image/png;base64,"));
    assertTrue(page.indexOf("SFT: training loss") < page.indexOf("Reward model: training loss")
        && page.indexOf("Reward model: accuracy") < page.indexOf("DPO: training loss")
        && page.indexOf("DPO: implicit reward accuracy") < page.indexOf("PPO: reward"),
        "stages in pipeline order");
    // the eval table: one column per report, values with their intervals
    assertTrue(page.contains("<th>eval-ppo.json</th><th>dpo/eval.json</th>")
        || page.contains("<th>dpo/eval.json</th><th>eval-ppo.json</th>"), page);
    assertTrue(page.contains("0.4321 [0.4012, 0.463]"), page);
    assertTrue(page.contains("0.6875 [0.5664, 0.7886]"), page);
    assertTrue(page.contains("2.75 [2.5, 3]"), page);
    assertTrue(page.contains("<td>rm_pairs</td>"), page);
    assertTrue(page.contains("0.25 [n/a]"), page);
    assertFalse(page.contains("notes.json"), "a JSON file without eval measures is not a report");
    assertFalse(page.contains("gold_reward_ci_low"), "bounds are shown beside their value");
    assertTrue(page.contains("SFT, up to step 60, last train/loss"), page);
  }

  @Test
  void textQualityGetsItsFrontierAndAModelThatWritesWorseIsFlagged() throws IOException {
    writeRun(false);
    Files.createDirectories(run.resolve("eval"));
    String text = ",\"invalid_text\":%s,\"invalid_text_ci_low\":0.0,\"invalid_text_ci_high\":0.5,"
        + "\"distinct1\":0.4,\"distinct2\":%s,\"real_words\":0.9,\"real_words_ci_low\":0.85,"
        + "\"real_words_ci_high\":0.95,\"words\":300,\"sft_nll\":4.5,\"sft_nll_ci_low\":4.4,"
        + "\"sft_nll_ci_high\":4.6,\"baseline_invalid_text\":0.0,\"baseline_distinct2\":0.7,"
        + "\"text_quality\":\"%s\"}\n";
    String head = "{\"prompts\":64,\"samples\":64,\"gold_reward\":%s,\"kl\":%s";
    Files.writeString(run.resolve("eval/sft.json"), String.format(java.util.Locale.ROOT,
        head + text, "0.01", "0", "0.0", "0.7", "ok"));
    Files.writeString(run.resolve("eval/ppo.json"), String.format(java.util.Locale.ROOT,
        head + text, "0.6", "9.5", "0.0", "0.14", "degraded: distinct-2 0.14 (baseline 0.70)"));
    Result r = bare(run.toString());
    assertEquals(0, r.exit(), r.err());
    ChartImages.assertDrawn(run.resolve("report/frontier-distinct2.png"));
    String page = Files.readString(run.resolve("report.html"), StandardCharsets.UTF_8);
    assertTrue(page.contains("Reward–diversity frontier"), page);
    assertTrue(page.contains("<th>eval/ppo.json \u26a0 text degraded</th>"), page);
    assertTrue(page.contains("<th>eval/sft.json</th>"), page);
    assertTrue(page.contains("\u26a0 1 of 4 write worse than their baseline"), page);
    assertTrue(page.contains("<td>degraded: distinct-2 0.14 (baseline 0.70)</td>"), page);
    // the verdict is the table's first row; the new measures are rows with their intervals
    int table = page.indexOf("Eval reports");
    assertTrue(page.indexOf("<td>text_quality</td>", table) < page.indexOf("<td>gold_reward</td>",
        table), "the verdict comes first");
    for (String row : List.of("<td>invalid_text</td>", "<td>distinct2</td>",
        "<td>real_words</td>", "<td>sft_nll</td>")) {
      assertTrue(page.contains(row), row + " missing");
    }
    assertTrue(page.contains("0.9 [0.85, 0.95]"), page);
  }

  @Test
  void entropyIsDrawnWhenPpoLogsIt() throws IOException {
    writeRun(true);
    assertEquals(0, bare(run.toString()).exit());
    ChartImages.assertDrawn(run.resolve("report").resolve("ppo-entropy.png"));
  }

  @Test
  void aStageInAnUnusualDirectoryIsRecognisedByItsMetrics() throws IOException {
    metrics("ppo-async-lag2", 10, s -> "\"objective/kl\":" + decay(s, 0, 1));
    assertEquals(0, bare(run.toString(), "--smoothing", "0").exit());
    assertEquals(List.of("ppo-async-lag2-kl.png"), pngs());
    String page = Files.readString(run.resolve("report.html"));
    assertTrue(page.contains("PPO: KL to the reference (ppo-async-lag2)"), page);
  }

  @Test
  void aMissingDirectoryExitsTwoSayingWhatWasExpected() {
    Path missing = run.resolve("nope");
    Result r = registered(missing.toString());
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().startsWith("rlhf4j: " + missing + ": no such directory; expected a run "
        + "directory"), r.err());

    ReportCommand command = new ReportCommand();
    command.runDir = missing;
    assertThrows(UserInputException.class, command::call);
  }

  @Test
  void aDirectoryWithoutMetricsExitsTwo() throws IOException {
    Files.createDirectories(run.resolve("sft"));
    Files.writeString(run.resolve("eval.json"), "{\"gold_reward\":0.5}");
    Result r = registered(run.toString());
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("no subdirectory holds a metrics.jsonl"), r.err());

    Files.writeString(run.resolve("sft").resolve("metrics.jsonl"), "{\"step\":1,\"x\":\"NaN\"}\n");
    r = registered(run.toString());
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("holds a numeric metric"), r.err());
  }

  @Test
  void aMalformedMetricsLineExitsTwoNamingFileAndLine() throws IOException {
    metrics("sft", 3, s -> "\"train/loss\":1.0");
    Path file = run.resolve("sft").resolve("metrics.jsonl");
    Files.writeString(file, "{\"step\":4,\"train/loss\":1.0\n", StandardOpenOption.APPEND);
    Result r = registered(run.toString());
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().startsWith("rlhf4j: " + file + ":4: malformed JSON"), r.err());
    assertFalse(Files.exists(run.resolve("report.html")));
  }

  @Test
  void aMalformedEvalReportExitsTwoNamingTheFile() throws IOException {
    metrics("sft", 3, s -> "\"train/loss\":1.0");
    Files.writeString(run.resolve("eval.json"), "{\"gold_reward\":");
    Result r = registered(run.toString());
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().startsWith("rlhf4j: " + run.resolve("eval.json") + ": malformed JSON"),
        r.err());
  }

  @Test
  void smoothingOutsideItsRangeExitsTwo() throws IOException {
    metrics("sft", 3, s -> "\"train/loss\":1.0");
    Result r = registered(run.toString(), "--smoothing", "1");
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("--smoothing: expected an EMA weight in [0, 1), got 1.0"), r.err());
  }
}
