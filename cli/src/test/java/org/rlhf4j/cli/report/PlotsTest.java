package org.rlhf4j.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.GraphicsEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rlhf4j.cli.report.MetricsSeries.Series;
import org.rlhf4j.cli.report.Plots.FrontierPoint;

class PlotsTest {
  @TempDir Path dir;

  static Series noisyDecay(String name, int steps, double scale) {
    double[] x = new double[steps];
    double[] y = new double[steps];
    for (int i = 0; i < steps; i++) {
      x[i] = i + 1;
      y[i] = scale * (Math.exp(-i / 30.0) + 0.1 * Math.sin(i * 1.7));
    }
    return new Series(name, x, y);
  }

  private List<String> fileNames() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aLineChartIsAnImageOfTheChartSize() throws IOException {
    Path png = dir.resolve("loss.png");
    Plots.lines(png, "SFT: training loss", "loss", List.of(noisyDecay("train/loss", 100, 2)), 0.6);
    ChartImages.assertDrawn(png);
    assertEquals(List.of("loss.png"), fileNames(), "the temp file was renamed, not left behind");
  }

  @Test
  void severalSeriesWithoutSmoothingAndAOnePointSeriesDraw() throws IOException {
    Path png = dir.resolve("two.png");
    Plots.lines(png, "two", "value", List.of(noisyDecay("a", 40, 1), noisyDecay("b", 40, 0.5),
        new Series("single", new double[] {3}, new double[] {0.2})), 0);
    ChartImages.assertDrawn(png);
    Path one = dir.resolve("one.png");
    Plots.lines(one, "one point", "value",
        List.of(new Series("a", new double[] {7}, new double[] {0.25})), 0.6);
    ChartImages.assertDrawn(one);
  }

  @Test
  void aChartReplacesAnOlderFileOfTheSameName() throws IOException {
    Path png = dir.resolve("loss.png");
    Files.writeString(png, "not a png");
    Plots.lines(png, "loss", "loss", List.of(noisyDecay("train/loss", 10, 1)), 0.6);
    ChartImages.assertDrawn(png);
  }

  @Test
  void chartsRenderHeadless() throws IOException {
    Plots.lines(dir.resolve("x.png"), "x", "y", List.of(noisyDecay("a", 3, 1)), 0);
    assertEquals("true", System.getProperty("java.awt.headless"));
    assertTrue(GraphicsEnvironment.isHeadless());
  }

  @Test
  void aChartWithNothingToDrawIsRefusedAndWritesNothing() throws IOException {
    Path png = dir.resolve("empty.png");
    Series empty = new Series("x", new double[0], new double[0]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Plots.lines(png, "empty", "y", List.of(empty), 0.6));
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Plots.lines(png, "t", "y", List.of(noisyDecay("a", 5, 1)), 1.0));
    assertEquals(List.of(), fileNames());
  }

  @Test
  void aSweepIsEachMethodsPointsInOrderOfKl() {
    FrontierPoint sft = point("eval/sft", 0);
    FrontierPoint ppo = point("eval/ppo", 9);
    FrontierPoint ppoLowKl = point("eval/ppo-kl0.01", 17);
    FrontierPoint ppoHighKl = point("eval/ppo-kl0.2", 7);
    FrontierPoint dpo = point("dpo", 5);
    FrontierPoint dpoBeta = point("dpo-beta0.1", 59);
    var sweeps = Plots.sweeps(List.of(sft, ppo, dpo, ppoLowKl, ppoHighKl, dpoBeta));
    assertEquals(List.of("dpo", "ppo"), List.copyOf(sweeps.keySet()), "sft alone is no sweep");
    assertEquals(List.of(ppoHighKl, ppo, ppoLowKl), sweeps.get("ppo"));
    assertEquals(List.of(dpo, dpoBeta), sweeps.get("dpo"));
    FrontierPoint marked = point("eval/ppo-kl0.05 (text degraded)", 12);
    assertEquals(List.of(ppoHighKl, ppo, marked), Plots.sweeps(List.of(ppo, marked, ppoHighKl))
        .get("ppo"), "a mark after the label keeps the point in its method's sweep");
  }

  @Test
  void modelsNamedForPeopleFormTheirMethodsSweep() {
    FrontierPoint sft = point("SFT", 0);
    FrontierPoint ppo = point("PPO KL coef = 0.3", 9);
    FrontierPoint ppoHighKl = point("PPO KL coef = 0.8 (text degraded)", 4);
    FrontierPoint dpo = point("DPO β = 0.1", 6);
    FrontierPoint dpoHighBeta = point("DPO β = 2", 1);
    var sweeps = Plots.sweeps(List.of(sft, ppo, ppoHighKl, dpo, dpoHighBeta));
    assertEquals(List.of("DPO", "PPO"), List.copyOf(sweeps.keySet()), sweeps.toString());
    assertEquals(List.of(ppoHighKl, ppo), sweeps.get("PPO"));
    assertEquals(List.of(dpoHighBeta, dpo), sweeps.get("DPO"));
  }

  private static FrontierPoint point(String label, double kl) {
    return new FrontierPoint(label, kl, Double.NaN, Double.NaN, 0.1, Double.NaN, Double.NaN);
  }

  @Test
  void theFrontierDrawsLabelledPointsWithIntervals() throws IOException {
    Path png = dir.resolve("frontier.png");
    Plots.frontier(png, "frontier", "KL", List.of(
        new FrontierPoint("sft", 0.0, 0.0, 0.0, 0.10, 0.05, 0.15),
        new FrontierPoint("dpo", 2.5, 2.1, 2.9, 0.45, 0.40, 0.50),
        // a Wilson-style asymmetric interval, and a point whose bounds are undefined
        new FrontierPoint("ppo", 4.0, 3.2, 5.1, 0.60, 0.50, 0.63),
        new FrontierPoint("ppo-kl0.2", 1.5, 1.2, 1.8, 0.35, 0.30, 0.40),
        new FrontierPoint("one sample", 1.0, Double.NaN, Double.NaN, 0.3, Double.NaN, Double.NaN)));
    ChartImages.assertDrawn(png);
    assertThrows(IllegalArgumentException.class,
        () -> new FrontierPoint("bad", Double.NaN, 0, 0, 0.1, 0, 0.2));
    assertThrows(IllegalArgumentException.class, () -> Plots.frontier(png, "none", "KL", List.of()));
  }
}
