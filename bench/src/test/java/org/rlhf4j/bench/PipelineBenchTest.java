package org.rlhf4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rlhf4j.actors.ppo.PpoPipeline;
import org.rlhf4j.learner.eval.MeanInterval;

/** The learner's busy time is the sum of its rounds; the cores' use bounds the speedup. */
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

  @Test
  void theSpeedupIfEveryCoreWereBusySpreadsTheAsynchronousArmsCpuOverTheCores()
      throws Exception {
    PhaseThreads.Choice phases = new PhaseThreads.Choice(2, new PpoPipeline.Threads(1, 2, 2),
        Map.of());
    MeanInterval gold = new MeanInterval(0.4, 0.35, 0.45, 256);
    PipelineBench.Arm sync = new PipelineBench.Arm("sync", 2, new PpoPipeline.Threads(1, 2, 2),
        40, 20, gold, 0, 60);
    PipelineBench.Arm async = new PipelineBench.Arm("async", 1,
        new PpoPipeline.Threads(1, 1, 1), 30, 21, gold, 0, 48);
    JsonNode json = new ObjectMapper().readTree(
        new PipelineBench.Result(sync, async, phases, 2).json());

    assertEquals(1.33, json.get("speedup").asDouble());
    assertEquals(2, json.get("cores").asInt());
    assertEquals(0.75, json.get("sync_core_use").asDouble()); // 60 / (2 · 40)
    assertEquals(0.8, json.get("async_core_use").asDouble()); // 48 / (2 · 30)
    assertEquals(1.67, json.get("speedup_if_cores_full").asDouble()); // 40 / (48 / 2)

    PipelineBench.Arm unknown = new PipelineBench.Arm("async", 1,
        new PpoPipeline.Threads(1, 1, 1), 30, 21, gold, 0, Double.NaN);
    JsonNode blind = new ObjectMapper().readTree(
        new PipelineBench.Result(sync, unknown, phases, 2).json());
    assertTrue(blind.get("speedup_if_cores_full").isNull());
    assertTrue(blind.get("async_core_use").isNull());
  }
}
