package org.rlhf4j.learner;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Appends one JSON object per step to a JSONL file ({@code step}, {@code time}, then the metrics
 * by their TRL-style names). On resume the lines past the checkpoint's step are dropped first,
 * so a resumed run's file reads as if it had never stopped.
 */
public final class MetricsLog implements Closeable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final BufferedWriter out;

  private MetricsLog(BufferedWriter out) {
    this.out = out;
  }

  /** Opens {@code file}, keeping only the records of steps before {@code resumeStep}. */
  public static MetricsLog open(Path file, long resumeStep) throws IOException {
    if (Files.exists(file)) {
      List<String> kept = new ArrayList<>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.isBlank() && JSON.readTree(line).path("step").asLong(Long.MAX_VALUE) < resumeStep) {
          kept.add(line);
        }
      }
      Files.write(file, kept, StandardCharsets.UTF_8);
    }
    return new MetricsLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND));
  }

  /** Writes and flushes one record. */
  public void write(long step, Map<String, Double> metrics) {
    ObjectNode n = JSON.createObjectNode();
    n.put("step", step);
    n.put("time", System.currentTimeMillis() / 1000.0);
    metrics.forEach((k, v) -> {
      if (Double.isFinite(v)) {
        n.put(k, v);
      } else {
        n.put(k, Double.toString(v));
      }
    });
    try {
      out.write(JSON.writeValueAsString(n));
      out.newLine();
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
