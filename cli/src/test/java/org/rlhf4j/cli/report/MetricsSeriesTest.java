package org.rlhf4j.cli.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rlhf4j.cli.UserInputException;
import org.rlhf4j.cli.report.MetricsSeries.Series;

class MetricsSeriesTest {
  @TempDir Path dir;

  private Path write(String... lines) throws IOException {
    return Files.write(dir.resolve("metrics.jsonl"), List.of(lines));
  }

  @Test
  void nonNumericValuesAndMissingKeysLeaveTheirStepsOut() throws IOException {
    MetricsSeries m = MetricsSeries.read(write(
        "{\"step\":1,\"time\":100.5,\"train/loss\":2.5,\"objective/entropy\":1.0}",
        "{\"step\":2,\"time\":101.5,\"train/loss\":\"NaN\",\"objective/entropy\":0.9}",
        "",
        "{\"step\":3,\"time\":102.5,\"train/loss\":1.5}",
        "{\"step\":4,\"time\":103.5,\"train/loss\":null,\"objective/entropy\":\"Infinity\"}"));
    assertEquals(List.of("train/loss", "objective/entropy"), List.copyOf(m.names()));
    Series loss = m.get("train/loss").orElseThrow();
    assertArrayEquals(new double[] {1, 3}, loss.steps());
    assertArrayEquals(new double[] {2.5, 1.5}, loss.values());
    assertArrayEquals(new double[] {1, 2}, m.get("objective/entropy").orElseThrow().steps());
    assertEquals(3.0, m.lastStep(), "step 4 has no finite value");
    assertFalse(m.has("time"));
    assertTrue(m.get("objective/kl").isEmpty());
  }

  @Test
  void aStepWrittenTwiceKeepsItsLastValue() throws IOException {
    MetricsSeries m = MetricsSeries.read(write("{\"step\":2,\"x\":1.0}", "{\"step\":1,\"x\":5.0}",
        "{\"step\":2,\"x\":3.0}"));
    assertArrayEquals(new double[] {1, 2}, m.get("x").orElseThrow().steps());
    assertArrayEquals(new double[] {5, 3}, m.get("x").orElseThrow().values());
  }

  @Test
  void malformedJsonNamesTheFileAndLine() throws IOException {
    Path file = write("{\"step\":1,\"train/loss\":2.0}", "{\"step\":2,\"train/loss\":2.0}",
        "{\"step\":3,\"train/loss\":");
    UserInputException e = assertThrows(UserInputException.class, () -> MetricsSeries.read(file));
    assertTrue(e.getMessage().startsWith(file + ":3: malformed JSON"), e.getMessage());
  }

  @Test
  void trailingGarbageIsMalformed() throws IOException {
    Path file = write("{\"step\":1,\"x\":2.0} {\"step\":2}");
    UserInputException e = assertThrows(UserInputException.class, () -> MetricsSeries.read(file));
    assertTrue(e.getMessage().startsWith(file + ":1: malformed JSON"), e.getMessage());
  }

  @Test
  void aRecordWithoutANumericStepNamesTheFileAndLine() throws IOException {
    Path file = write("{\"step\":1,\"x\":2.0}", "{\"time\":5,\"x\":2.0}");
    UserInputException e = assertThrows(UserInputException.class, () -> MetricsSeries.read(file));
    assertTrue(e.getMessage().startsWith(file + ":2: expected a JSON object with a numeric "
        + "\"step\""), e.getMessage());
    Path array = write("[1, 2]");
    assertTrue(assertThrows(UserInputException.class, () -> MetricsSeries.read(array))
        .getMessage().startsWith(array + ":1: "));
  }

  @Test
  void emaStartsAtTheFirstValueAndWeighsThePast() {
    Series s = new Series("x", new double[] {1, 2, 3}, new double[] {1, 3, 3});
    Series ema = s.ema(0.5);
    assertEquals("x (EMA 0.5)", ema.name());
    assertArrayEquals(new double[] {1, 2, 2.5}, ema.values(), 1e-12);
    assertArrayEquals(s.steps(), ema.steps());
    assertArrayEquals(s.values(), s.ema(0).values());
    assertThrows(IllegalArgumentException.class, () -> s.ema(1.0));
  }
}
