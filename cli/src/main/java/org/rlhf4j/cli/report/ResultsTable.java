package org.rlhf4j.cli.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.rlhf4j.cli.report.HtmlReport.Column;

/**
 * The report's results: one row per evaluated model and one column per measure, each value with
 * its 95% interval in the cell beside it. Only short figures go in: the reports' other fields
 * (counts, the baseline's text quality) stay in the eval JSON each model's name links to, and a
 * degraded verdict's reason goes below the table.
 */
final class ResultsTable {
  /** A measure of an eval report as a column: its key, heading and unit. */
  private record Measure(String key, String name, String note) {}

  /** In order; a measure no report has is left out. */
  private static final List<Measure> MEASURES = List.of(
      new Measure(EvalReport.GOLD_REWARD, "gold reward", "mean score"),
      new Measure(EvalReport.KL, "KL", "to the reference, nats"),
      new Measure(EvalReport.WIN_RATE, "win rate", "vs the baseline"),
      new Measure(EvalReport.DISTINCT2, "distinct-2", "word pairs"),
      new Measure(EvalReport.REAL_WORDS, "real words", "share of words"),
      new Measure(EvalReport.INVALID_TEXT, "invalid text", "share of completions"),
      new Measure(EvalReport.SFT_NLL, "NLL under SFT", "nats/token"),
      new Measure(EvalReport.RM_SCORE, "RM score", "reward model"),
      new Measure(EvalReport.RM_ACCURACY, "RM accuracy", "held-out pairs"));
  static final String DEGRADED_CELL = "\u26a0 degraded";

  private ResultsTable() {}

  /** Adds the table for {@code models}, in their order, to {@code html}. */
  static void addTo(HtmlReport html, List<EvaluatedModel> models) {
    List<Measure> shown = MEASURES.stream()
        .filter(m -> models.stream().anyMatch(e -> e.report().has(m.key()))).toList();
    List<Boolean> intervals = shown.stream().map(m -> models.stream()
        .anyMatch(e -> e.report().interval(m.key()).isPresent())).toList();
    boolean verdicts = models.stream().anyMatch(e -> e.report().textVerdict().isPresent());

    List<Column> columns = new ArrayList<>();
    columns.add(new Column("model", "links its eval report", 1));
    for (int i = 0; i < shown.size(); i++) {
      columns.add(new Column(shown.get(i).name(), shown.get(i).note(), intervals.get(i) ? 2 : 1));
    }
    if (verdicts) {
      columns.add(new Column("text", "vs the baseline", 1));
    }
    List<List<Cell>> rows = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (EvaluatedModel model : models) {
      EvalReport r = model.report();
      List<Cell> row = new ArrayList<>();
      row.add(Cell.link(model.name(), r.label() + ".json"));
      for (int i = 0; i < shown.size(); i++) {
        String key = shown.get(i).key();
        row.add(Cell.of(r.value(key)));
        if (intervals.get(i)) {
          row.add(Cell.interval(r.interval(key).orElse("")));
        }
      }
      if (verdicts) {
        row.add(Cell.of(r.textDegraded() ? DEGRADED_CELL : r.textVerdict().orElse("—")));
      }
      if (r.textDegraded()) {
        notes.add("\u26a0 " + model.name() + " writes worse than its baseline: "
            + r.textVerdict().orElseThrow());
      }
      rows.add(row);
    }
    notes.add("Mean [95% interval] of each measure over the evaluation's completions; KL, win "
        + "rate and the text verdict are against each evaluation's baseline (the SFT model in "
        + "the demo), win rate counting a tie as half.");
    html.table(heading(models), columns, rows, notes);
  }

  private static String heading(List<EvaluatedModel> models) {
    List<String> prompts = models.stream().map(m -> m.report().value(EvalReport.PROMPTS))
        .distinct().toList();
    Optional<String> same = prompts.size() == 1 && !prompts.get(0).equals("—")
        ? Optional.of(prompts.get(0)) : Optional.empty();
    long degraded = models.stream().filter(m -> m.report().textDegraded()).count();
    return "Results" + same.map(p -> " on " + p + " prompts").orElse("")
        + (degraded == 0 ? "" : "; \u26a0 " + degraded + " of " + models.size()
            + " write worse than their baseline");
  }
}
