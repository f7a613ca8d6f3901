package org.rlhf4j.cli.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.rlhf4j.model.io.AtomicFiles;

/**
 * A self-contained HTML report: one file with inline CSS and every image embedded as a base64
 * {@code data:} URI, so it can be mailed, attached or opened offline. A title and a summary table
 * come first, then the sections in the order they were added. All text is HTML-escaped.
 */
public final class HtmlReport {
  private static final String CSS = """
      body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
             max-width: 60em; padding: 0 1em; color: #222; line-height: 1.4; }
      h1 { font-size: 1.6em; margin-bottom: 0.6em; }
      h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
      table { border-collapse: collapse; margin: 0.6em 0; }
      th, td { border: 1px solid #ddd; padding: 0.3em 0.7em; text-align: left;
               vertical-align: top; }
      th { background: #f4f4f4; }
      td.num { font-variant-numeric: tabular-nums; }
      .scroll { overflow-x: auto; }
      figure { margin: 1.5em 0; }
      figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
      figcaption { color: #555; font-size: 0.95em; margin-top: 0.3em; }
      .sample { border: 1px solid #ddd; border-radius: 4px; margin: 1em 0; padding: 0.6em 1em; }
      .sample pre { white-space: pre-wrap; word-break: break-word; margin: 0.2em 0 0.6em;
                    background: #f8f8f8; padding: 0.4em; }
      .label { font-weight: 600; font-size: 0.9em; color: #444; }
      .ctl { color: #8a3b12; background: #f6e3d8; border-radius: 2px; }
      """;

  /** A part of the report after the summary. */
  private sealed interface Section permits Figure, Table, Samples {}

  private record Figure(String heading, String caption, byte[] png) implements Section {}

  private record Table(String heading, List<String> header, List<List<String>> rows)
      implements Section {}

  private record Samples(String heading, List<Sample> samples) implements Section {}

  /** One prompt with each model's completion, label to text, in the map's order. */
  public record Sample(String prompt, Map<String, String> completions) {
    /** Keeps the order of {@code completions}. */
    public Sample {
      completions = java.util.Collections.unmodifiableMap(
          new java.util.LinkedHashMap<>(completions));
    }
  }

  private final String title;
  private final Map<String, String> summary;
  private final List<Section> sections = new ArrayList<>();

  /**
   * @param title the page's title and top heading
   * @param summary rows of the run summary table, label to value, in the map's order
   */
  public HtmlReport(String title, Map<String, String> summary) {
    this.title = title;
    this.summary = new LinkedHashMap<>(summary);
  }

  /** Adds a figure: a heading, the PNG read from {@code png} now, and a caption below it. */
  public HtmlReport figure(String heading, Path png, String caption) throws IOException {
    sections.add(new Figure(heading, caption, Files.readAllBytes(png)));
    return this;
  }

  /**
   * Adds a table; cells that look like numbers are set in tabular figures.
   *
   * @throws IllegalArgumentException when a row's width differs from the header's
   */
  public HtmlReport table(String heading, List<String> header, List<List<String>> rows) {
    for (List<String> row : rows) {
      if (row.size() != header.size()) {
        throw new IllegalArgumentException(heading + ": a row has " + row.size()
            + " cells but the header " + header.size() + ": " + row);
      }
    }
    sections.add(new Table(heading, List.copyOf(header), rows.stream().map(List::copyOf).toList()));
    return this;
  }

  /** Adds generated samples, each prompt with the completions of several models. */
  public HtmlReport samples(String heading, List<Sample> samples) {
    sections.add(new Samples(heading, List.copyOf(samples)));
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
    if (!summary.isEmpty()) {
      html.append("<table class=\"summary\">\n");
      summary.forEach((label, value) -> html.append("<tr><th>").append(escape(label))
          .append("</th><td>").append(escape(value)).append("</td></tr>\n"));
      html.append("</table>\n");
    }
    for (Section section : sections) {
      if (section instanceof Figure f) {
        appendFigure(html, f);
      } else if (section instanceof Table t) {
        appendTable(html, t);
      } else if (section instanceof Samples s) {
        appendSamples(html, s);
      }
    }
    return html.append("</body>\n</html>\n").toString();
  }

  /** Writes {@link #render()} to {@code file} atomically, as UTF-8. */
  public void write(Path file) throws IOException {
    AtomicFiles.writeString(file, render());
  }

  private static void appendFigure(StringBuilder html, Figure f) {
    html.append("<h2>").append(escape(f.heading())).append("</h2>\n<figure>\n")
        .append("<img alt=\"").append(HtmlText.attribute(f.heading()))
        .append("\" src=\"data:image/png;base64,")
        .append(Base64.getEncoder().encodeToString(f.png())).append("\">\n")
        .append("<figcaption>").append(escape(f.caption())).append("</figcaption>\n</figure>\n");
  }

  private static void appendTable(StringBuilder html, Table t) {
    html.append("<h2>").append(escape(t.heading())).append("</h2>\n<div class=\"scroll\">\n")
        .append("<table>\n<tr>");
    for (String cell : t.header()) {
      html.append("<th>").append(escape(cell)).append("</th>");
    }
    html.append("</tr>\n");
    for (List<String> row : t.rows()) {
      html.append("<tr>");
      for (String cell : row) {
        html.append(startsLikeNumber(cell) ? "<td class=\"num\">" : "<td>").append(escape(cell))
            .append("</td>");
      }
      html.append("</tr>\n");
    }
    html.append("</table>\n</div>\n");
  }

  private static void appendSamples(StringBuilder html, Samples s) {
    html.append("<h2>").append(escape(s.heading())).append("</h2>\n");
    for (Sample sample : s.samples()) {
      html.append("<div class=\"sample\">\n")
          .append("<div class=\"label\">prompt</div><pre>").append(escape(sample.prompt()))
          .append("</pre>\n");
      for (Map.Entry<String, String> c : sample.completions().entrySet()) {
        html.append("<div class=\"label\">").append(escape(c.getKey())).append("</div><pre>")
            .append(escape(c.getValue())).append("</pre>\n");
      }
      html.append("</div>\n");
    }
  }

  private static boolean startsLikeNumber(String cell) {
    return !cell.isEmpty() && (Character.isDigit(cell.charAt(0))
        || (cell.length() > 1 && cell.charAt(0) == '-' && Character.isDigit(cell.charAt(1))));
  }

  /** {@code text} as HTML text: see {@link HtmlText#escape}. */
  static String escape(String text) {
    return HtmlText.escape(text);
  }
}
