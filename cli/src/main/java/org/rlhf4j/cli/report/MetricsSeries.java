package org.rlhf4j.cli.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.rlhf4j.cli.UserInputException;

/**
 * One run's {@code metrics.jsonl} as named series of (step, value). Each line is a JSON object with
 * a numeric {@code step}, a {@code time}, then metrics under their TRL names; a value that is not a
 * finite number (the {@code "NaN"} strings the writer uses for non-finite values, {@code null}, a
 * nested object) is skipped, so that step is simply absent from the series. A metric missing from
 * some lines is absent at those steps. A step written twice keeps its last value.
 */
public final class MetricsSeries {
  /** The keys every record carries that are not metrics. */
  public static final String STEP = "step";
  public static final String TIME = "time";

  // a line like {"step":1} garbage is malformed, not a record followed by noise
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  private final Path file;
  private final Map<String, Series> series;

  private MetricsSeries(Path file, Map<String, Series> series) {
    this.file = file;
    this.series = Collections.unmodifiableMap(series);
  }

  /**
   * Reads {@code file}; blank lines are skipped.
   *
   * @throws UserInputException naming {@code file:line} when a line is not JSON, not an object, or
   *     has no numeric {@code step}
   */
  public static MetricsSeries read(Path file) throws IOException {
    Map<String, TreeMap<Double, Double>> points = new LinkedHashMap<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      int lineNumber = 0;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        lineNumber++;
        if (!line.isBlank()) {
          addRecord(points, parse(file, lineNumber, line), file, lineNumber);
        }
      }
    }
    Map<String, Series> series = new LinkedHashMap<>();
    points.forEach((name, byStep) -> series.put(name, Series.of(name, byStep)));
    return new MetricsSeries(file, series);
  }

  private static JsonNode parse(Path file, int lineNumber, String line) {
    try {
      return JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new UserInputException(file + ":" + lineNumber + ": malformed JSON ("
          + e.getOriginalMessage() + "); expected one JSON object per line");
    }
  }

  private static void addRecord(Map<String, TreeMap<Double, Double>> points, JsonNode record,
      Path file, int lineNumber) {
    if (!record.isObject() || !record.path(STEP).isNumber()) {
      throw new UserInputException(file + ":" + lineNumber
          + ": expected a JSON object with a numeric \"step\", got "
          + abbreviate(record.toString()));
    }
    double step = record.get(STEP).asDouble();
    for (Iterator<Map.Entry<String, JsonNode>> it = record.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String name = field.getKey();
      if (name.equals(STEP) || name.equals(TIME)) {
        continue;
      }
      TreeMap<Double, Double> byStep = points.computeIfAbsent(name, k -> new TreeMap<>());
      JsonNode value = field.getValue();
      if (value.isNumber() && Double.isFinite(value.asDouble())) {
        byStep.put(step, value.asDouble());
      } else {
        byStep.remove(step); // a later non-number for the same step replaces the earlier value
      }
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= 80 ? text : text.substring(0, 77) + "...";
  }

  /** The file this was read from. */
  public Path file() {
    return file;
  }

  /** Every metric name that appears on some line, in order of first appearance. */
  public Set<String> names() {
    return series.keySet();
  }

  /** Whether {@code name} appears on some line (its series may still be empty). */
  public boolean has(String name) {
    return series.containsKey(name);
  }

  /** The series of {@code name}, empty if the name never appears. */
  public Optional<Series> get(String name) {
    return Optional.ofNullable(series.get(name));
  }

  /** The largest step of any record with a numeric metric, or NaN when there is none. */
  public double lastStep() {
    return series.values().stream().filter(s -> s.size() > 0)
        .mapToDouble(s -> s.steps[s.size() - 1]).max().orElse(Double.NaN);
  }

  /**
   * One metric's finite values by ascending step.
   *
   * @param name the metric's name, e.g. {@code train/loss}
   * @param steps the steps, strictly increasing
   * @param values the value at each step, all finite
   */
  public record Series(String name, double[] steps, double[] values) {
    public Series {
      if (steps.length != values.length) {
        throw new IllegalArgumentException(name + ": " + steps.length + " steps but "
            + values.length + " values");
      }
      steps = steps.clone();
      values = values.clone();
    }

    private static Series of(String name, TreeMap<Double, Double> byStep) {
      double[] steps = new double[byStep.size()];
      double[] values = new double[byStep.size()];
      int i = 0;
      for (Map.Entry<Double, Double> e : byStep.entrySet()) {
        steps[i] = e.getKey();
        values[i] = e.getValue();
        i++;
      }
      return new Series(name, steps, values);
    }

    @Override
    public double[] steps() {
      return steps.clone();
    }

    @Override
    public double[] values() {
      return values.clone();
    }

    /** The number of points. */
    public int size() {
      return steps.length;
    }

    /** The value at the largest step; the series must not be empty. */
    public double last() {
      if (values.length == 0) {
        throw new IllegalStateException(name + " has no values");
      }
      return values[values.length - 1];
    }

    /**
     * The exponential moving average {@code s_0 = x_0, s_i = w·s_(i−1) + (1 − w)·x_i}, the
     * smoothing of TensorBoard's scalar plots without its debiasing (starting from the first value
     * already gives an unbiased start), named {@code "<name> (EMA w)"}.
     *
     * @param weight the weight {@code w} of the past, in [0, 1); 0 returns the values unchanged
     */
    public Series ema(double weight) {
      if (!(weight >= 0 && weight < 1)) {
        throw new IllegalArgumentException("EMA weight must be in [0, 1), got " + weight);
      }
      double[] smoothed = new double[values.length];
      for (int i = 0; i < values.length; i++) {
        smoothed[i] = i == 0 ? values[0] : weight * smoothed[i - 1] + (1 - weight) * values[i];
      }
      return new Series(name + " (EMA " + weight + ")", steps, smoothed);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Series s && name.equals(s.name) && Arrays.equals(steps, s.steps)
          && Arrays.equals(values, s.values);
    }

    @Override
    public int hashCode() {
      return 31 * (31 * name.hashCode() + Arrays.hashCode(steps)) + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
      return name + Arrays.toString(steps) + "=" + Arrays.toString(values);
    }
  }
}
