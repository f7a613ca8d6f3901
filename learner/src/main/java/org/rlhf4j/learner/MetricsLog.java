package org.rlhf4j.learner;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.Map;
import java.util.function.Consumer;
import org.rlhf4j.model.io.AtomicFiles;

/**
 * Appends one JSON object per step to a JSONL file ({@code step}, {@code time}, then the metrics
 * by their TRL-style names). On resume the lines past the checkpoint's step, and a line torn by a
 * crash, are dropped first, so a resumed run's file reads as if it had never stopped.
 */
public final class MetricsLog implements Closeable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final BufferedWriter out;

  private MetricsLog(BufferedWriter out) {
    this.out = out;
  }

  /** Opens {@code file}, keeping only the records of steps before {@code resumeStep}. */
  public static MetricsLog open(Path file, long resumeStep) throws IOException {
    return open(file, resumeStep, line -> { });
  }

  /**
   * Opens {@code file}, keeping only the records of steps before {@code resumeStep}. A line that
   * is not JSON is where an interrupted write stopped: like a log, the file is cut there, and
   * {@code notices} is told.
   */
  public static MetricsLog open(Path file, long resumeStep, Consumer<String> notices)
      throws IOException {
    if (Files.exists(file)) {
      // bytes, not lines: a torn line may end inside a multi-byte character
      String[] lines = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).split("\n");
      StringBuilder kept = new StringBuilder();
      for (int i = 0; i < lines.length; i++) {
        String line = lines[i].strip();
        if (line.isEmpty()) {
          continue;
        }
        JsonNode record;
        try {
          record = JSON.readTree(line);
        } catch (JsonProcessingException torn) {
          notices.accept(file + ": cut at line " + (i + 1) + ", left unfinished by an interrupted "
              + "write (" + (lines.length - i) + " line(s) dropped)");
          break;
        }
        if (record.path("step").asLong(Long.MAX_VALUE) < resumeStep) {
          kept.append(line).append('\n');
        }
      }
      AtomicFiles.writeString(file, kept.toString());
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
