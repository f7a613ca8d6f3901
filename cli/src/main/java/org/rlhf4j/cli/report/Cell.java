package org.rlhf4j.cli.report;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One table cell or fact of a report: its text, how it is set, and a link when {@code href} is
 * not null (a '/'-separated path relative to the page, into the run directory).
 */
public record Cell(String text, Kind kind, String href) {
  private static final Pattern NUMBER = Pattern.compile("-?\\d[\\d,]*(\\.\\d+)?([eE][-+]?\\d+)?");

  /** How a cell is set. */
  public enum Kind {
    TEXT,
    /** Tabular figures, so a column of numbers lines up. */
    NUMBER,
    /** A 95% interval, smaller and right beside the value before it. */
    INTERVAL,
    /** A command, a commit or a hash: monospace, copied as it is. */
    CODE
  }

  public Cell {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(kind, "kind");
  }

  /** Text; a number when it is one ({@code 0.5}, {@code -2}, {@code 1.235e-05}). */
  public static Cell of(String text) {
    return new Cell(text, NUMBER.matcher(text).matches() ? Kind.NUMBER : Kind.TEXT, null);
  }

  public static Cell code(String text) {
    return new Cell(text, Kind.CODE, null);
  }

  public static Cell interval(String text) {
    return new Cell(text, Kind.INTERVAL, null);
  }

  /** {@code text} linking to {@code path}, relative to the page. */
  public static Cell link(String text, String path) {
    return new Cell(text, Kind.TEXT, path);
  }
}
