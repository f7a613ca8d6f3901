package org.rlhf4j.cli.report;

import static org.rlhf4j.cli.report.HtmlText.escape;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.rlhf4j.model.io.AtomicFiles;

/**
 * A self-contained HTML report: one file with inline CSS and every image embedded as a base64
 * {@code data:} URI, so it can be mailed, attached or opened offline; links go only to files of
 * the run directory, relative to the page. The title comes first, then the sections in the order
 * they were added, then the footer. All text is HTML-escaped.
 */
public final class HtmlReport {
  private static final String CSS = """
      body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
             max-width: 78em; padding: 0 1em; color: #222; line-height: 1.4; }
      p, figcaption, .sample { max-width: 60em; }
      h1 { font-size: 1.6em; margin-bottom: 0.6em; }
      h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
      table { border-collapse: collapse; margin: 0.6em 0; }
      th, td { border: 1px solid #ddd; padding: 0.3em 0.5em; text-align: left;
               vertical-align: baseline; }
      .scroll table { font-size: 0.9em; }
      th:first-child, td:first-child { white-space: nowrap; }
      th { background: #f4f4f4; }
      th .note { display: block; font-weight: normal; font-size: 0.85em; color: #555; }
      td.num, td.ci { font-variant-numeric: tabular-nums; white-space: nowrap; }
      td.num { text-align: right; }
      td.pair { border-right: 0; padding-right: 0.25em; }
      td.ci { border-left: 0; padding-left: 0; font-size: 0.8em; color: #555; }
      table.facts th { background: none; white-space: nowrap; }
      table.facts td { text-align: left; }
      code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.9em;
             overflow-wrap: anywhere; }
      .scroll { overflow-x: auto; }
      p.note { color: #555; font-size: 0.95em; margin: 0.3em 0; }
      figure { margin: 1.5em 0; }
      figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
      figcaption { color: #555; font-size: 0.95em; margin-top: 0.3em; }
      .sample { border: 1px solid #ddd; border-radius: 4px; margin: 1em 0; padding: 0.6em 1em; }
      .sample pre { white-space: pre-wrap; word-break: break-word; margin: 0.2em 0 0.6em;
                    background: #f8f8f8; padding: 0.4em; }
      .label { font-weight: 600; font-size: 0.9em; color: #444; }
      .score { font-weight: normal; color: #555; margin-left: 0.4em; }
      .ctl { color: #8a3b12; background: #f6e3d8; border-radius: 2px; }
      footer { margin-top: 3em; border-top: 1px solid #ddd; font-size: 0.85em; color: #444; }
      """;

  /**
   * A column of a table: its name, a note below it (a unit; may be empty) and its width in
   * cells, 2 for a value and its 95% interval.
   */
  public record Column(String name, String note, int span) {
    public Column {
      if (span < 1) {
        throw new IllegalArgumentException(name + ": a column spans at least one cell, got "
            + span);
      }
    }

    /** A column one cell wide, without a note. */
    public static Column of(String name) {
      return new Column(name, "", 1);
    }
  }

  /** One prompt with each model's completion, in the list's order. */
  public record Sample(String prompt, List<Completion> completions) {
    public Sample {
      completions = List.copyOf(completions);
    }
  }

  /** A model's completion, with its gold reward when the run recorded one. */
  public record Completion(String model, String text, OptionalDouble goldReward) {}

  /** A part of the report. */
  private sealed interface Section permits Facts, Figure, Table, Samples {}

  private record Facts(String heading, Map<String, Cell> rows) implements Section {}

  private record Figure(String heading, String caption, byte[] png) implements Section {}

  private record Table(String heading, List<Column> columns, List<List<Cell>> rows,
      List<String> notes) implements Section {}

  private record Samples(String heading, String note, List<Sample> samples)
      implements Section {}

  private final String title;
  private final List<Section> sections = new ArrayList<>();
  private Map<String, Cell> footer = Map.of();

  /** @param title the page's title and top heading */
  public HtmlReport(String title) {
    this.title = title;
  }

  /**
   * Adds a table of facts, label to value, in the map's order.
   *
   * @param heading the section's heading; empty for none (facts right below the title)
   */
  public HtmlReport facts(String heading, Map<String, Cell> rows) {
    sections.add(new Facts(heading, new LinkedHashMap<>(rows)));
    return this;
  }

  /** Adds a figure: a heading, the PNG read from {@code png} now, and a caption below it. */
  public HtmlReport figure(String heading, Path png, String caption) throws IOException {
    sections.add(new Figure(heading, caption, Files.readAllBytes(png)));
    return this;
  }

  /** Adds a table of text cells, one column each; cells that look like numbers line up. */
  public HtmlReport table(String heading, List<String> header, List<List<String>> rows) {
    return table(heading, header.stream().map(Column::of).toList(),
        rows.stream().map(r -> r.stream().map(Cell::of).toList()).toList(), List.of());
  }

  /**
   * Adds a table whose columns may span several cells, with notes below it.
   *
   * @throws IllegalArgumentException when a row's width differs from the columns' spans
   */
  public HtmlReport table(String heading, List<Column> columns, List<List<Cell>> rows,
      List<String> notes) {
    int width = columns.stream().mapToInt(Column::span).sum();
    for (List<Cell> row : rows) {
      if (row.size() != width) {
        throw new IllegalArgumentException(heading + ": a row has " + row.size()
            + " cells but the columns span " + width + ": " + row);
      }
    }
    sections.add(new Table(heading, List.copyOf(columns),
        rows.stream().map(List::copyOf).toList(), List.copyOf(notes)));
    return this;
  }

  /** Adds generated samples, each prompt with the completions of several models. */
  public HtmlReport samples(String heading, String note, List<Sample> samples) {
    sections.add(new Samples(heading, note, List.copyOf(samples)));
    return this;
  }

  /** Sets the facts at the foot of the page, below every section: timings, hashes, files. */
  public HtmlReport footer(Map<String, Cell> rows) {
    footer = new LinkedHashMap<>(rows);
    return this;
  }

  /** The whole page. */
  public String render() {
    StringBuilder html = new StringBuilder();
    html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>").append(escape(title)).append("</title>\n")
        .append("<style>\n").append(CSS).append("</style>\n</head>\n<body>\n")
        .append("<h1>").append(escape(title)).append("</h1>\n");
    for (Section section : sections) {
      if (section instanceof Facts f) {
        heading(html, f.heading());
        appendFacts(html, f.rows());
      } else if (section instanceof Figure f) {
        appendFigure(html, f);
      } else if (section instanceof Table t) {
        appendTable(html, t);
      } else if (section instanceof Samples s) {
        appendSamples(html, s);
      }
    }
    if (!footer.isEmpty()) {
      html.append("<footer>\n");
      appendFacts(html, footer);
      html.append("</footer>\n");
    }
    return html.append("</body>\n</html>\n").toString();
  }

  /** Writes {@link #render()} to {@code file} atomically, as UTF-8. */
  public void write(Path file) throws IOException {
    AtomicFiles.writeString(file, render());
  }

  private static void heading(StringBuilder html, String heading) {
    if (!heading.isEmpty()) {
      html.append("<h2>").append(escape(heading)).append("</h2>\n");
    }
  }

  private static void appendFacts(StringBuilder html, Map<String, Cell> rows) {
    html.append("<table class=\"facts\">\n");
    rows.forEach((label, value) -> {
      html.append("<tr><th>").append(escape(label)).append("</th>");
      appendCell(html, value, false);
      html.append("</tr>\n");
    });
    html.append("</table>\n");
  }

  private static void appendFigure(StringBuilder html, Figure f) {
    html.append("<h2>").append(escape(f.heading())).append("</h2>\n<figure>\n")
        .append("<img alt=\"").append(HtmlText.attribute(f.heading()))
        .append("\" src=\"data:image/png;base64,")
        .append(Base64.getEncoder().encodeToString(f.png())).append("\">\n")
        .append("<figcaption>").append(escape(f.caption())).append("</figcaption>\n</figure>\n");
  }

  private static void appendTable(StringBuilder html, Table t) {
    heading(html, t.heading());
    html.append("<div class=\"scroll\">\n<table>\n<tr>");
    for (Column c : t.columns()) {
      html.append(c.span() == 1 ? "<th>" : "<th colspan=\"" + c.span() + "\">")
          .append(escape(c.name()));
      if (!c.note().isEmpty()) {
        html.append("<span class=\"note\">").append(escape(c.note())).append("</span>");
      }
      html.append("</th>");
    }
    html.append("</tr>\n");
    for (List<Cell> row : t.rows()) {
      html.append("<tr>");
      for (int i = 0; i < row.size(); i++) {
        boolean beforeInterval = i + 1 < row.size()
            && row.get(i + 1).kind() == Cell.Kind.INTERVAL;
        appendCell(html, row.get(i), beforeInterval);
      }
      html.append("</tr>\n");
    }
    html.append("</table>\n</div>\n");
    for (String note : t.notes()) {
      html.append("<p class=\"note\">").append(escape(note)).append("</p>\n");
    }
  }

  private static void appendCell(StringBuilder html, Cell cell, boolean beforeInterval) {
    List<String> classes = new ArrayList<>();
    switch (cell.kind()) {
      case NUMBER -> classes.add("num");
      case INTERVAL -> classes.add("ci");
      default -> { }
    }
    if (beforeInterval) {
      classes.add("pair");
    }
    html.append(classes.isEmpty() ? "<td>" : "<td class=\"" + String.join(" ", classes) + "\">");
    String text = escape(cell.text());
    if (cell.kind() == Cell.Kind.CODE) {
      text = "<code>" + text + "</code>";
    }
    if (cell.href() != null) {
      text = "<a href=\"" + HtmlText.attribute(HtmlText.href(cell.href())) + "\">" + text
          + "</a>";
    }
    html.append(text).append("</td>");
  }

  private static void appendSamples(StringBuilder html, Samples s) {
    html.append("<h2>").append(escape(s.heading())).append("</h2>\n");
    if (!s.note().isEmpty()) {
      html.append("<p class=\"note\">").append(escape(s.note())).append("</p>\n");
    }
    for (Sample sample : s.samples()) {
      html.append("<div class=\"sample\">\n")
          .append("<div class=\"label\">prompt</div><pre>").append(escape(sample.prompt()))
          .append("</pre>\n");
      for (Completion c : sample.completions()) {
        html.append("<div class=\"label\">").append(escape(c.model()));
        if (c.goldReward().isPresent()) {
          html.append(" <span class=\"score\">gold reward ")
              .append(escape(Decimals.format(c.goldReward().getAsDouble()))).append("</span>");
        }
        // an empty completion (the model ended at once) would be an empty box
        html.append("</div><pre>").append(c.text().isEmpty()
            ? "<span class=\"score\">(empty)</span>" : escape(c.text())).append("</pre>\n");
      }
      html.append("</div>\n");
    }
  }
}
