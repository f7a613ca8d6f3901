package org.rlhf4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        40, 20, gold, 0, 60, 41);
    PipelineBench.Arm async = new PipelineBench.Arm("async", 1,
        new PpoPipeline.Threads(1, 1, 1), 30, 21, gold, 0, 50, 31.25);
    JsonNode json = new ObjectMapper().readTree(
        new PipelineBench.Result(sync, async, phases, 2).json());

    assertEquals(1.33, json.get("speedup").asDouble());
    assertEquals(2, json.get("cores").asInt());
    assertEquals(0.73, json.get("sync_core_use").asDouble()); // 60 / (2 · 41)
    assertEquals(0.8, json.get("async_core_use").asDouble()); // 50 / (2 · 31.25)
    assertEquals(1.6, json.get("speedup_if_cores_full").asDouble()); // 40 / (50 / 2)

    PipelineBench.Arm unknown = new PipelineBench.Arm("async", 1,
        new PpoPipeline.Threads(1, 1, 1), 30, 21, gold, 0, Double.NaN, 31.25);
    JsonNode blind = new ObjectMapper().readTree(
        new PipelineBench.Result(sync, unknown, phases, 2).json());
    assertTrue(blind.get("speedup_if_cores_full").isNull());
    assertTrue(blind.get("async_core_use").isNull());
  }

  @Test
  void theProcessCpuTimeGrowsWithWorkOnAnyThread() throws Exception {
    double before = ProcessCpu.seconds();
    assertFalse(Double.isNaN(before), "HotSpot reports the process's CPU time");
    Thread busy = new Thread(() -> {
      long end = System.nanoTime() + 200_000_000L;
      double x = 1;
      while (System.nanoTime() < end) {
        x = Math.sqrt(x + 1);
      }
      assertTrue(x > 0);
    });
    busy.start();
    busy.join();
    assertTrue(ProcessCpu.seconds() > before + 0.05, "a 0.2 s busy thread was counted");
  }
}
