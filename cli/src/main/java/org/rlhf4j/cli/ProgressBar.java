package org.rlhf4j.cli;

import java.io.PrintWriter;
import java.util.Locale;
import org.rlhf4j.learner.ProgressListener;

/**
 * A one-line progress bar with rate, ETA and the stage's key metric. On a terminal it redraws in
 * place; otherwise (CI logs, pipes) it prints a line at every tenth of the way.
 */
final class ProgressBar implements ProgressListener {
  private static final int WIDTH = 28;
  private final PrintWriter err;
  private final String stage;
  private final boolean interactive;
  private final long startNanos = System.nanoTime();
  private long firstDone = -1;
  private int lastDecile = -1;

  ProgressBar(PrintWriter err, String stage, boolean interactive) {
    this.err = err;
    this.stage = stage;
    this.interactive = interactive;
  }

  /** A bar that redraws in place when a console is attached. */
  static ProgressBar on(PrintWriter err, String stage) {
    return new ProgressBar(err, stage, System.console() != null);
  }

  @Override
  public void onStep(long done, long total, String metricName, double metric) {
    if (firstDone < 0) {
      firstDone = done - 1; // a resumed run's rate counts only the steps it did
    }
    int decile = (int) (10 * done / Math.max(1, total));
    if (!interactive && decile == lastDecile && done != total) {
      return;
    }
    lastDecile = decile;
    err.print(render(done, total, metricName, metric, (System.nanoTime() - startNanos) / 1e9));
    err.print(interactive && done != total ? "\r" : "\n");
    err.flush();
  }

  /** A notice gets a line of its own, never drawn over by the bar. */
  @Override
  public void onNotice(String line) {
    err.println(stage + ": " + line);
    err.flush();
  }

  String render(long done, long total, String metricName, double metric, double seconds) {
    double fraction = total == 0 ? 1 : (double) done / total;
    int filled = (int) Math.round(WIDTH * fraction);
    String bar = "=".repeat(filled) + (filled < WIDTH ? ">" + " ".repeat(WIDTH - filled - 1) : "");
    double rate = seconds > 0 ? (done - firstDone) / seconds : 0;
    String eta = rate > 0 ? clock((total - done) / rate) : "--:--";
    return String.format(Locale.ROOT, "%-6s %d/%d [%s] %3.0f%% %.2f step/s ETA %s %s %.4f", stage,
        done, total, bar, 100 * fraction, rate, eta, metricName, metric);
  }

  static String clock(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}
