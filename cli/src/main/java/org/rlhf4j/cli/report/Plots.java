package org.rlhf4j.cli.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.Styler.LegendLayout;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.rlhf4j.cli.report.MetricsSeries.Series;
import org.rlhf4j.model.io.AtomicFiles;

/**
 * PNG charts drawn with XChart: training curves, and the frontiers of evaluated policies (gold
 * reward against KL, and against distinct-2).
 * Every file is written atomically (a temp file in the same directory, renamed over the target).
 *
 * <p>Charts are drawn off screen, so AWT must run headless: loading this class sets
 * {@code java.awt.headless=true} before it touches any AWT or XChart class. The property is
 * read once, when AWT first initialises, so a JVM that has already opened a window keeps its
 * mode.
 */
public final class Plots {
  static {
    // first statement of the class: nothing below (Color, XChart) may initialise AWT before it
    System.setProperty("java.awt.headless", "true");
  }

  /** Pixel size of every chart; 16:9, readable at full width in the HTML report. */
  public static final int WIDTH = 800;
  public static final int HEIGHT = 450;

  /** Colour-blind-safe (Okabe–Ito) series colours, cycled. */
  private static final Color[] PALETTE = {new Color(0, 114, 178), new Color(213, 94, 0),
      new Color(0, 158, 115), new Color(204, 121, 167), new Color(230, 159, 0),
      new Color(86, 180, 233), new Color(0, 0, 0), new Color(240, 228, 66)};
  /** The dashed line joining one method's points at several KL coefficients or β. */
  private static final Color SWEEP_LINE = new Color(120, 120, 120);
  private static final float[][] SWEEP_DASHES = {{8f, 4f}, {2f, 3f}, {8f, 3f, 2f, 3f}};
  /** How much of a raw curve shows through when its EMA is drawn over it. */
  private static final int RAW_ALPHA = 80;

  private Plots() {}

  /**
   * Draws {@code series} against the training step and writes the PNG to {@code png}. With
   * {@code emaWeight > 0} each raw curve is drawn faint and its {@link Series#ema EMA} solid in the
   * same colour; with 0 the raw curves are drawn solid. A series of one point is drawn as a marker;
   * empty series are left out.
   *
   * @param emaWeight the EMA's weight of the past, in [0, 1); 0 for no smoothing
   * @throws IllegalArgumentException when no series has a point, or two share a name
   */
  public static void lines(Path png, String title, String yLabel, List<Series> series,
      double emaWeight) throws IOException {
    if (!(emaWeight >= 0 && emaWeight < 1)) {
      throw new IllegalArgumentException("EMA weight must be in [0, 1), got " + emaWeight);
    }
    List<Series> drawn = series.stream().filter(s -> s.size() > 0).toList();
    if (drawn.isEmpty()) {
      throw new IllegalArgumentException(title + ": no series has a finite value to plot");
    }
    XYChart chart = chart(title, "step", yLabel);
    boolean smooth = emaWeight > 0;
    chart.getStyler().setLegendVisible(drawn.size() > 1 || smooth);
    for (int i = 0; i < drawn.size(); i++) {
      Series s = drawn.get(i);
      Color color = PALETTE[i % PALETTE.length];
      XYSeries raw = chart.addSeries(s.name(), s.steps(), s.values());
      // a line through one point draws nothing: mark a lone point instead
      Marker marker = s.size() == 1 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE;
      raw.setMarker(marker);
      raw.setMarkerColor(color);
      if (smooth) {
        raw.setLineColor(new Color(color.getRed(), color.getGreen(), color.getBlue(), RAW_ALPHA));
        raw.setLineWidth(1f);
        Series ema = s.ema(emaWeight);
        XYSeries line = chart.addSeries(ema.name(), ema.steps(), ema.values());
        line.setMarker(marker);
        line.setMarkerColor(color);
        line.setLineColor(color);
        line.setLineWidth(2f);
      } else {
        raw.setLineColor(color);
        raw.setLineWidth(1.5f);
      }
    }
    write(png, chart);
  }

  /**
   * One evaluated policy on a frontier plane, gold reward against a cost or a diversity (KL to
   * the reference, distinct-2), with 95% intervals on both axes. A NaN bound (an interval one
   * observation cannot give, or a measure without one) leaves that interval out.
   *
   * @param label how the point is named in the legend, e.g. {@code DPO β = 0.1}
   * @param x the x measure, e.g. the mean sequence KL(π‖π_ref) in nats
   * @param reward the mean gold reward
   */
  public record FrontierPoint(String label, double x, double xLow, double xHigh,
      double reward, double rewardLow, double rewardHigh) {
    public FrontierPoint {
      if (!Double.isFinite(x) || !Double.isFinite(reward)) {
        throw new IllegalArgumentException(label + ": a frontier point needs a finite x and "
            + "reward, got x " + x + ", reward " + reward);
      }
    }
  }

  /**
   * Draws each point as a labelled marker (x = {@code xLabel}'s measure, y = gold reward) with
   * its intervals as thin line segments in the point's colour: vertical for the reward,
   * horizontal for x; a dashed line, one dash pattern per method and named in the legend, joins
   * the points of each method's sweep ({@link #sweeps}). Segments rather than XChart's error
   * bars, which are vertical only and symmetric ({@code y ± e}), so they could draw neither the
   * x interval nor an asymmetric one exactly.
   *
   * @throws IllegalArgumentException when {@code points} is empty or two share a label
   */
  public static void frontier(Path png, String title, String xLabel, List<FrontierPoint> points)
      throws IOException {
    if (points.isEmpty()) {
      throw new IllegalArgumentException(title + ": no points to plot");
    }
    XYChart chart = chart(title, xLabel, "gold reward");
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeriesRenderStyle.Scatter);
    chart.getStyler().setMarkerSize(10);
    chart.getStyler().setLegendVisible(true);
    // one legend row per point: a sweep's labels would not fit in one line below the chart
    chart.getStyler().setLegendPosition(LegendPosition.OutsideE);
    chart.getStyler().setLegendLayout(LegendLayout.Vertical);
    int dashes = 0;
    for (Map.Entry<String, List<FrontierPoint>> sweep : sweeps(points).entrySet()) {
      XYSeries line = chart.addSeries(sweep.getKey() + " sweep",
          sweep.getValue().stream().mapToDouble(FrontierPoint::x).toArray(),
          sweep.getValue().stream().mapToDouble(FrontierPoint::reward).toArray());
      line.setXYSeriesRenderStyle(XYSeriesRenderStyle.Line);
      line.setMarker(SeriesMarkers.NONE);
      line.setLineColor(SWEEP_LINE);
      // sweeps cross where two methods reach the same x: each gets its own dash, named below
      line.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f,
          SWEEP_DASHES[dashes++ % SWEEP_DASHES.length], 0f));
    }
    for (int i = 0; i < points.size(); i++) {
      FrontierPoint p = points.get(i);
      Color color = PALETTE[i % PALETTE.length];
      XYSeries point = chart.addSeries(p.label(), new double[] {p.x()},
          new double[] {p.reward()});
      point.setMarker(SeriesMarkers.CIRCLE);
      point.setMarkerColor(color);
      segment(chart, p.label() + " reward interval", color, new double[] {p.x(), p.x()},
          new double[] {p.rewardLow(), p.rewardHigh()});
      segment(chart, p.label() + " x interval", color, new double[] {p.xLow(), p.xHigh()},
          new double[] {p.reward(), p.reward()});
    }
    write(png, chart);
  }

  /**
   * The points of each method swept at several coefficients, in order of x: a method is the
   * label's first word's last path segment up to its first '-' ({@code PPO KL coef = 0.2} is a
   * {@code PPO} point, as is {@code PPO KL coef = 0.8 (text degraded)}; a report whose stage the
   * run does not tell keeps its file's name, {@code eval/ppo-kl0.01} a {@code ppo} point);
   * methods with one point are left out.
   */
  static Map<String, List<FrontierPoint>> sweeps(List<FrontierPoint> points) {
    Map<String, List<FrontierPoint>> byMethod = new TreeMap<>();
    for (FrontierPoint p : points) {
      String word = p.label().split(" ", 2)[0];
      String name = word.substring(word.lastIndexOf('/') + 1);
      int dash = name.indexOf('-');
      byMethod.computeIfAbsent(dash < 0 ? name : name.substring(0, dash), m -> new ArrayList<>())
          .add(p);
    }
    byMethod.values().removeIf(sweep -> sweep.size() < 2);
    byMethod.values().forEach(sweep -> sweep.sort(Comparator.comparingDouble(FrontierPoint::x)));
    return byMethod;
  }

  private static void segment(XYChart chart, String name, Color color, double[] x, double[] y) {
    for (double v : x) {
      if (!Double.isFinite(v)) {
        return;
      }
    }
    for (double v : y) {
      if (!Double.isFinite(v)) {
        return;
      }
    }
    XYSeries s = chart.addSeries(name, x, y);
    s.setXYSeriesRenderStyle(XYSeriesRenderStyle.Line);
    s.setMarker(SeriesMarkers.NONE);
    s.setLineColor(color);
    s.setLineStyle(new BasicStroke(1.5f));
    s.setShowInLegend(false);
  }

  private static XYChart chart(String title, String xLabel, String yLabel) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
        .xAxisTitle(xLabel).yAxisTitle(yLabel).build();
    var styler = chart.getStyler();
    styler.setChartBackgroundColor(Color.WHITE);
    styler.setPlotBackgroundColor(Color.WHITE);
    styler.setPlotBorderVisible(false);
    styler.setPlotGridLinesColor(new Color(225, 225, 225));
    // below the plot, where it can never hide a curve or a point
    styler.setLegendPosition(LegendPosition.OutsideS);
    styler.setLegendLayout(LegendLayout.Horizontal);
    styler.setLegendBorderColor(new Color(200, 200, 200));
    styler.setAntiAlias(true);
    return chart;
  }

  private static void write(Path png, XYChart chart) throws IOException {
    AtomicFiles.writeAtomically(png, temp -> {
      try (OutputStream out = Files.newOutputStream(temp)) {
        BitmapEncoder.saveBitmap(chart, out, BitmapFormat.PNG);
      }
    });
  }
}
