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
import java.util.Map;
import java.util.regex.Pattern;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rlhf4j.cli.Rlhf4j;
import org.rlhf4j.cli.UserInputException;
import org.rlhf4j.config.ConfigLoader;
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
    // the results: a row per report, each value with its interval in the cell beside it; the
    // report in dpo/ is of the DPO stage, whose configuration this run lacks
    Document doc = Jsoup.parse(page);
    List<List<String>> results = rows(table(doc, "Results"));
    assertEquals(List.of(
        List.of("DPO (dpo)", "0.25", "[n/a]", "1.5", "[n/a]", "—", "", "—", ""),
        List.of("eval-ppo", "0.4321", "[0.401, 0.463]", "2.75", "[2.5, 3]", "0.6875",
            "[0.566, 0.789]", "0.71", "[0.65, 0.76]")), results);
    assertFalse(page.contains("notes.json"), "a JSON file without eval measures is not a report");
    assertFalse(page.contains("rm_pairs"), "counts stay in the eval report the name links");
    assertEquals("dpo/eval.json", table(doc, "Results").select("td a").first().attr("href"));
    assertTrue(rows(table(doc, "Stages")).contains(List.of("SFT", "sft", "—", "—", "—",
        "step 60: train/loss " + Decimals.format(Double.parseDouble(decay(60, 4, 1.5))), "—")),
        rows(table(doc, "Stages")).toString());
    assertEquals("not recorded (rlhf4j demo records it in summary.json)", fact(doc, "command"));
  }

  /** The table under the heading that starts with {@code heading}. */
  static Element table(Document doc, String heading) {
    Element h2 = doc.select("h2").stream().filter(h -> h.text().startsWith(heading)).findFirst()
        .orElseThrow(() -> new AssertionError("no heading " + heading + " in " + doc.select("h2")
            .eachText()));
    return h2.nextElementSibling().selectFirst("table");
  }

  /** The text of each cell of each row below the header. */
  static List<List<String>> rows(Element table) {
    return table.select("tr").stream().filter(tr -> tr.select("th").isEmpty())
        .map(tr -> tr.select("td").stream().map(Element::text).toList()).toList();
  }

  /** The value of the fact {@code label} at the top of the page. */
  static String fact(Document doc, String label) {
    return doc.selectFirst("table.facts").select("tr").stream()
        .filter(tr -> tr.selectFirst("th").text().equals(label)).findFirst()
        .map(tr -> tr.selectFirst("td").text())
        .orElseThrow(() -> new AssertionError("no fact " + label));
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
    Document doc = Jsoup.parse(page);
    Element results = table(doc, "Results");
    assertTrue(results.parent().previousElementSibling().text()
        .endsWith("\u26a0 1 of 4 write worse than their baseline"), doc.select("h2").eachText()
        .toString());
    assertEquals(List.of("model", "gold reward", "KL", "win rate", "distinct-2", "real words",
        "invalid text", "NLL under SFT", "RM accuracy", "text"),
        results.select("th").stream().map(th -> th.ownText()).toList());
    // eval/ppo.json is of the stage in ppo/, whose configuration this run lacks
    List<String> ppo = rows(results).stream().filter(row -> row.get(0).equals("PPO (ppo)"))
        .findFirst().orElseThrow();
    assertEquals("\u26a0 degraded", ppo.get(ppo.size() - 1), ppo.toString());
    assertTrue(ppo.containsAll(List.of("0.9", "[0.85, 0.95]", "0.14")), ppo.toString());
    // the reason is below the table, not in a cell
    assertTrue(doc.select("p.note").eachText().contains("\u26a0 PPO (ppo) writes worse than its "
        + "baseline: degraded: distinct-2 0.14 (baseline 0.70)"), doc.select("p.note").eachText()
        .toString());
  }

  /** {@code dir}/config.conf as a stage writes it: the defaults with {@code settings} over them. */
  private void config(String dir, Map<String, Object> settings) throws IOException {
    Files.createDirectories(run.resolve(dir));
    Files.writeString(run.resolve(dir).resolve("config.conf"), ConfigLoader.render(
        ConfigLoader.withOverrides(ConfigLoader.defaults(), settings, "the test's plan")));
  }

  /** A stage's final model as it writes it: its shape, its tokenizer and its weights' hash. */
  private void model(String dir, String sha256) throws IOException {
    Path model = Files.createDirectories(run.resolve(dir).resolve("model"));
    Files.writeString(model.resolve("config.json"), "{\"model_type\":\"gpt2\",\"vocab_size\":"
        + "8192,\"n_positions\":128,\"n_ctx\":128,\"n_embd\":128,\"n_layer\":2,\"n_head\":4}");
    Files.writeString(model.resolve("rlhf4j.json"), "{\"format_version\":1,\"step\":40,"
        + "\"weights_sha256\":\"" + sha256 + "\",\"tokenizer\":{\"merges\":\"h e\\nĠ t\","
        + "\"vocab_sha256\":\"65212cd48b1db7391289\",\"vocab_size\":\"8192\",\"kind\":\"gpt2\","
        + "\"source\":\"learned\"}}");
  }

  /** An eval report as the demo writes it: every field of a real one. */
  private void eval(String name, double gold, double kl, double distinct2, String verdict)
      throws IOException {
    Files.createDirectories(run.resolve("eval"));
    Files.writeString(run.resolve("eval").resolve(name + ".json"), String.format(Locale.ROOT,
        "{\"prompts\":200,\"samples\":200,\"gold_reward\":%s,\"gold_reward_ci_low\":%s,"
            + "\"gold_reward_ci_high\":%s,\"kl\":%s,\"kl_ci_low\":%s,\"kl_ci_high\":%s,"
            + "\"invalid_text\":0.005,\"invalid_text_ci_low\":8.831687156009814E-4,"
            + "\"invalid_text_ci_high\":0.02777370439789293,\"distinct1\":0.2065,"
            + "\"distinct2\":%s,\"real_words\":0.9376770538243626,"
            + "\"real_words_ci_low\":0.9192471975744259,\"real_words_ci_high\":0.9561069100742994,"
            + "\"words\":706,\"sft_nll\":4.372002138265436,\"sft_nll_ci_low\":4.245590213010698,"
            + "\"sft_nll_ci_high\":4.4984140635201735,\"win_rate\":0.8125,"
            + "\"win_rate_ci_low\":0.7527067545047247,\"win_rate_ci_high\":0.8605149165094838,"
            + "\"win_rate_wins\":145,\"win_rate_ties\":35,\"win_rate_losses\":20,"
            + "\"baseline_invalid_text\":0.0,\"baseline_invalid_text_ci_low\":0.0,"
            + "\"baseline_invalid_text_ci_high\":0.018845326377266575,"
            + "\"baseline_distinct2\":0.6782077393075356,\"text_quality\":\"%s\"}\n",
        gold, gold - 0.045, gold + 0.045, kl, kl * 0.85, kl * 1.15, distinct2, verdict));
  }

  /**
   * A run directory as {@code rlhf4j demo} leaves it: four stages and a sweep's run, each with
   * its configuration and model, the evaluations, samples, the demo's summary.json.
   */
  private void writeDemoRun() throws IOException {
    metrics("sft", 20, s -> "\"train/loss\":" + decay(s, 4, 1.5));
    metrics("rm", 20, s -> "\"train/loss\":" + decay(s, 0.69, 0.4) + ",\"train/accuracy\":"
        + decay(s, 0.5, 0.8));
    metrics("dpo", 20, s -> "\"train/loss\":" + decay(s, 0.69, 0.3) + ",\"rewards/accuracies\":"
        + decay(s, 0.5, 0.9));
    for (String ppo : List.of("ppo", "sweep/ppo-kl0.8")) {
      metrics(ppo, 20, s -> "\"objective/scores\":" + decay(s, -0.2, 0.6) + ",\"objective/kl\":"
          + decay(s, 0, 3));
    }
    Map<String, Object> shared = Map.of("rlhf4j.tokenizer.kind", "bpe",
        "rlhf4j.model.vocab-size", 8192);
    config("sft", with(shared, Map.of("rlhf4j.sft.steps", 2000, "rlhf4j.sft.batch-size", 32,
        "rlhf4j.optimizer.learning-rate", 1e-3)));
    config("rm", with(shared, Map.of("rlhf4j.reward.steps", 300, "rlhf4j.reward.batch-size", 32,
        "rlhf4j.optimizer.learning-rate", 1e-3)));
    config("dpo", with(shared, Map.of("rlhf4j.dpo.steps", 300, "rlhf4j.dpo.batch-size", 32,
        "rlhf4j.dpo.beta", 0.1,
        "rlhf4j.dpo.rpo-alpha", 0.05, "rlhf4j.optimizer.learning-rate", 6e-4)));
    config("ppo", with(shared, Map.of("rlhf4j.ppo.iterations", 40, "rlhf4j.ppo.batch-size", 64,
        "rlhf4j.ppo.kl-coef", 0.3, "rlhf4j.optimizer.learning-rate", 6e-4)));
    config("sweep/ppo-kl0.8", with(shared, Map.of("rlhf4j.ppo.iterations", 40,
        "rlhf4j.ppo.batch-size", 64, "rlhf4j.ppo.kl-coef", 0.8,
        "rlhf4j.optimizer.learning-rate", 6e-4)));
    config("eval", with(shared, Map.of("rlhf4j.eval.max-new-tokens", 16,
        "rlhf4j.eval.temperature", 0.7, "rlhf4j.eval.top-k", 50)));
    config("", shared);
    for (String stage : List.of("sft", "rm", "dpo", "ppo", "sweep/ppo-kl0.8")) {
      model(stage, sha256(stage));
    }
    eval("sft", 0.02341, 0, 0.7271, "ok");
    eval("ppo", 0.3681, 4.995, 0.5795, "ok");
    eval("dpo", 0.3774, 6.355, 0.6569, "ok");
    eval("ppo-kl0.8", 0.1, 1.2, 0.2, "degraded: distinct-2 0.20 (baseline 0.68)");
    Files.writeString(run.resolve("summary.json"), "{\"sft_gold_reward\":0.02341,"
        + "\"ppo_win_rate\":0.8125,\"ppo_win_rate_ci_low\":0.7527,\"ppo_win_rate_ci_high\":0.8605,"
        + "\"rm_accuracy\":0.8413391557496361,\"ppo_kl\":4.994830673942342,\"plan\":\"quick\","
        + "\"command\":\"rlhf4j demo --quick --out /tmp/qk --stop-after rm\","
        + "\"commit\":\"74b64fe6b6fd35c1d2a93f4a4e8c8cbb53f0a7de\","
        + "\"resumed\":[{\"command\":\"rlhf4j demo --quick --out /tmp/qk --resume\","
        + "\"commit\":\"unknown\"}],\"seconds\":142.912398723,\"stage_seconds\":{\"sft\":"
        + "50.360217039,\"collect\":14.281371507,\"rm\":11.374251847,\"ppo\":33.668792618,"
        + "\"dpo\":29.82054861},\"ppo_weights_sha256\":\"068eecafab623f51c68c2033e34f37d4\"}\n");
    Files.writeString(run.resolve("samples.jsonl"), "{\"prompt\":\"a moral\",\"sft\":{\"text\":"
        + "\" good?\",\"gold_reward\":0.1},\"ppo\":{\"text\":\" line\\rover\",\"gold_reward\":"
        + "0.41234},\"dpo\":{\"text\":\"\\u0015x\",\"gold_reward\":-0.2}}\n"
        + "{\"prompt\":\"an old line\",\"sft\":\" text alone\"}\n");
  }

  /** A made-up weights hash of {@code stage}'s model, 64 hex digits. */
  private static String sha256(String stage) {
    return String.format(Locale.ROOT, "%08x", stage.hashCode()).repeat(8);
  }

  private static Map<String, Object> with(Map<String, Object> a, Map<String, Object> b) {
    Map<String, Object> both = new java.util.HashMap<>(a);
    both.putAll(b);
    return both;
  }

  @Test
  void theResultsAreOneRowPerModelOfShortFiguresEachWithItsInterval() throws IOException {
    writeDemoRun();
    Result r = bare(run.toString());
    assertEquals(0, r.exit(), r.err());
    Document doc = Jsoup.parse(run.resolve("report.html").toFile(), "UTF-8");
    Element results = table(doc, "Results");
    List<List<String>> rows = rows(results);
    // one row per model, named by what trained it with its setting, in pipeline order, a sweep
    // by its setting; summary.json, which repeats some measures, is not a model
    assertEquals(List.of("SFT", "DPO β = 0.1", "PPO KL coef = 0.3", "PPO KL coef = 0.8"),
        rows.stream().map(row -> row.get(0)).toList());
    assertEquals(List.of("eval/sft.json", "eval/dpo.json", "eval/ppo.json", "eval/ppo-kl0.8.json"),
        results.select("td a").eachAttr("href"), "each name links its model's eval report");
    // each measure with an interval spans its value and its interval; distinct-2 has none
    assertEquals(List.of("model:1", "gold reward:2", "KL:2", "win rate:2", "distinct-2:1",
        "real words:2", "invalid text:2", "NLL under SFT:2", "text:1"),
        results.select("th").stream().map(th -> th.ownText() + ":"
            + (th.hasAttr("colspan") ? th.attr("colspan") : "1")).toList());
    String number = "-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?";
    Pattern figure = Pattern.compile(number + "|n/a|—");
    Pattern interval = Pattern.compile("\\[(" + number + ", " + number + "|n/a)\\]");
    for (Element tr : results.select("tr:has(td)")) {
      List<Element> cells = tr.select("td");
      assertEquals(15, cells.size(), tr.toString());
      for (Element td : cells.subList(1, cells.size() - 1)) {
        Pattern expected = td.hasClass("ci") ? interval : figure;
        assertTrue(expected.matcher(td.text()).matches(), "not a short figure: " + td);
      }
      assertEquals(6, tr.select("td.ci").size(), "an interval beside each value: " + tr);
      assertEquals(6, tr.select("td.pair + td.ci").size(), "each right after its value: " + tr);
    }
    assertEquals(List.of("0.3774", "[0.332, 0.422]"), rows.get(1).subList(1, 3));
    assertEquals(List.of("ok", "ok", "ok", "\u26a0 degraded"),
        rows.stream().map(row -> row.get(row.size() - 1)).toList());
    // timings and hashes are in the footer, not the table
    String tableText = results.text();
    for (String absent : List.of("seconds", "50.36", "SHA-256", "{", "068eecaf", "summary")) {
      assertFalse(tableText.contains(absent), absent + " in the results: " + tableText);
    }
    Element footer = doc.selectFirst("footer");
    assertTrue(footer.text().contains("stage seconds sft 50.36, collect 14.28, rm 11.37, "
        + "ppo 33.67, dpo 29.82; whole run 142.9"), footer.text());
    assertTrue(footer.text().contains("ppo/model weights SHA-256 " + sha256("ppo")),
        footer.text());
    for (Element td : doc.select("td")) {
      assertFalse(td.text().startsWith("{"), "raw JSON in a cell: " + td);
    }
  }

  @Test
  void theHeadSaysHowToRunItAgainAndLinksEachStagesConfiguration() throws IOException {
    writeDemoRun();
    assertEquals(0, bare(run.toString()).exit());
    Document doc = Jsoup.parse(run.resolve("report.html").toFile(), "UTF-8");
    assertEquals("rlhf4j demo --quick --out /tmp/qk --stop-after rm", fact(doc, "command"));
    assertEquals("74b64fe6b6fd35c1d2a93f4a4e8c8cbb53f0a7de", fact(doc, "commit"));
    assertEquals("rlhf4j demo --quick --out /tmp/qk --resume", fact(doc, "resumed by"));
    assertEquals("unknown (not the first run's commit)", fact(doc, "resumed at"));
    assertEquals("1234", fact(doc, "seed"));
    assertEquals("2 layers of width 128, 4 heads, 128-token context", fact(doc, "model"));
    assertEquals("gpt2, learned, 8192 tokens, vocabulary 65212cd48b1d", fact(doc, "tokenizer"));
    assertEquals("config.conf", doc.selectFirst("table.facts a").attr("href"));
    Element stages = table(doc, "Stages");
    assertEquals(List.of(
        List.of("SFT", "sft", "2000 steps of 32 texts", "0.001", "—"),
        List.of("Reward model", "rm", "300 steps of 32 pairs", "0.001", "—"),
        List.of("DPO", "dpo", "300 steps of 32 pairs", "0.0006", "β 0.1, RPO α 0.05"),
        List.of("PPO", "ppo", "40 iterations of 64 prompts", "0.0006", "KL coef 0.3"),
        List.of("PPO", "sweep/ppo-kl0.8", "40 iterations of 64 prompts", "0.0006",
            "KL coef 0.8"),
        List.of("Evaluation", "eval", "200 prompts, 16 new tokens", "—", "T 0.7, top-k 50")),
        rows(stages).stream().map(row -> row.subList(0, 5)).toList());
    assertTrue(rows(stages).get(1).get(5).endsWith("; held-out accuracy 0.8413"),
        rows(stages).get(1).toString());
    assertEquals(List.of("sft/config.conf", "rm/config.conf", "dpo/config.conf",
        "ppo/config.conf", "sweep/ppo-kl0.8/config.conf", "eval/config.conf"),
        stages.select("a").eachAttr("href"));
    for (String href : stages.select("a").eachAttr("href")) {
      assertTrue(Files.isRegularFile(run.resolve(href)), href + " links no file");
    }
  }

  @Test
  void samplesCarryTheirModelsNameAndGoldRewardAndShowControlCharacters() throws IOException {
    writeDemoRun();
    assertEquals(0, bare(run.toString()).exit());
    String page = Files.readString(run.resolve("report.html"), StandardCharsets.UTF_8);
    assertFalse(page.contains("\r"), "a raw carriage return breaks its line");
    Document doc = Jsoup.parse(page);
    List<String> labels = doc.select(".sample .label").eachText();
    assertEquals(List.of("prompt", "SFT gold reward 0.1", "PPO KL coef = 0.3 gold reward 0.4123",
        "DPO β = 0.1 gold reward -0.2", "prompt", "SFT"), labels);
    assertEquals(List.of("a moral", " good?", " line\\rover", "\\u0015x", "an old line",
        " text alone"), doc.select(".sample pre").stream().map(Element::wholeText).toList());
    assertEquals(List.of("\\r", "\\u0015"), doc.select(".sample pre .ctl").eachText(),
        "escapes are marked apart from text that reads the same");
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
