package org.rlhf4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The learner's busy time is the sum of its rounds in the run's metrics. */
class PipelineBenchTest {
  @Test
  void learnerSecondsAddUpTheRoundsAndSkipLinesWithoutOne(@TempDir Path dir) throws Exception {
    Path metrics = dir.resolve("metrics.jsonl");
    Files.writeString(metrics, """
        {"step": 1, "learner/round_seconds": 0.25, "objective/kl": 0.1}
        {"step": 1, "eval/gold": 0.3}
        {"step": 2, "learner/round_seconds": 0.5}
        """);
    assertEquals(0.75, PipelineBench.learnerSeconds(metrics), 1e-12);
  }
}
