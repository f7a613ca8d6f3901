package org.rlhf4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.rlhf4j.actors.ppo.PpoPipeline;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.ProgressListener;
import org.rlhf4j.learner.eval.MeanInterval;
import org.rlhf4j.rollout.PolicySnapshot;

/**
 * Asynchronous against synchronous PPO through the same actors, the same number of updates from
 * the same models: the synchronous arm (max-lag 0, one batch of credits, rollouts paused while
 * the learner trains) runs each phase at its best measured thread count ({@link PhaseThreads});
 * the asynchronous arm overlaps sampling and training, one tensor thread per actor. Each arm's
 * final policy is judged by the gold labeler.
 */
public final class PipelineBench {
  /** Builds a run of {@code config} into {@code out} with the given threads. */
  @FunctionalInterface
  public interface Runs {
    PpoPipeline.Spec spec(RlhfConfig config, Path out, PpoPipeline.Threads threads)
        throws IOException;
  }

  /**
   * One arm's settings and outcome; {@code learnerSeconds} is the sum of its update rounds, so
   * that over {@code seconds} is the share of the run the learner was busy (near 1: the learner
   * is the critical path, and overlap can hide nothing more); {@code cpuSeconds} is the process's
   * CPU time over the same span as {@code seconds} (NaN where the JVM cannot tell).
   */
  public record Arm(String name, int workers, PpoPipeline.Threads threads, double seconds,
      double learnerSeconds, MeanInterval gold, long droppedStale, double cpuSeconds) {
    /** The share of the machine's {@code cores} the arm kept busy. */
    double coreUse(int cores) {
      return cpuSeconds / (cores * seconds);
    }
  }

  /** Both arms, the phase timings behind the synchronous arm's threads, the machine's cores. */
  public record Result(Arm sync, Arm async, PhaseThreads.Choice phases, int cores) {
    public double speedup() {
      return sync.seconds() / async.seconds();
    }

    /**
     * The speedup had the asynchronous arm kept every core busy: its CPU time spread over the
     * cores, the fastest the same work can run here (an estimate: it takes the work as fixed).
     */
    public double speedupIfCoresFull() {
      return sync.seconds() / (async.cpuSeconds() / cores);
    }

    /** The JSON line {@code bench pipeline} prints. */
    public String json() {
      return String.format(Locale.ROOT, "{\"sync_seconds\": %.1f, \"async_seconds\": %.1f, "
          + "\"speedup\": %.2f, \"sync_threads\": %s, \"async_threads\": %s, "
          + "\"sync_gold_reward\": %.4f, \"sync_gold_ci\": [%.4f, %.4f], "
          + "\"async_gold_reward\": %.4f, \"async_gold_ci\": [%.4f, %.4f], "
          + "\"async_dropped_stale\": %d, \"sync_learner_busy\": %.2f, "
          + "\"async_learner_busy\": %.2f, \"cores\": %d, \"sync_core_use\": %s, "
          + "\"async_core_use\": %s, \"speedup_if_cores_full\": %s, \"phase_seconds\": %s}",
          sync.seconds(), async.seconds(), speedup(), threads(sync), threads(async),
          sync.gold().mean(), sync.gold().low(), sync.gold().high(), async.gold().mean(),
          async.gold().low(), async.gold().high(), async.droppedStale(),
          sync.learnerSeconds() / sync.seconds(), async.learnerSeconds() / async.seconds(),
          cores, twoPlaces(sync.coreUse(cores)), twoPlaces(async.coreUse(cores)),
          twoPlaces(speedupIfCoresFull()), phases.json());
    }

    /** A number to two places, or null when the CPU time behind it is unknown. */
    private static String twoPlaces(double x) {
      return Double.isFinite(x) ? String.format(Locale.ROOT, "%.2f", x) : "null";
    }

    private static String threads(Arm a) {
      return String.format(Locale.ROOT, "{\"workers\": %d, \"worker\": %d, \"scorer\": %d, "
          + "\"learner\": %d}", a.workers(), a.threads().worker(), a.threads().scorer(),
          a.threads().learner());
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private PipelineBench() {}

  /**
   * Runs both arms under {@code dir}.
   *
   * @param asyncWorkers rollout workers of the asynchronous arm
   * @param gold the gold reward of a final policy
   */
  public static Result run(RlhfConfig base, Runs runs, Path dir, int asyncWorkers,
      Function<PolicySnapshot, MeanInterval> gold, PrintWriter log) throws IOException {
    log.println("bench pipeline: timing each phase of a synchronous iteration at 1 and 2 threads");
    log.flush();
    PhaseThreads.Choice phases = PhaseThreads.measure(runs.spec(base, dir.resolve("probe"),
        new PpoPipeline.Threads(1, 1, 1)));
    log.println("bench pipeline: " + phases.json());
    log.flush();

    int batch = base.ppo().batchSize();
    RlhfConfig syncConfig = ConfigLoader.withOverrides(base, Map.of(
        "rlhf4j.async.max-lag", 0, "rlhf4j.async.max-in-flight", batch,
        "rlhf4j.async.workers", phases.workers()), "bench pipeline (sync)");
    Arm sync = arm("sync", syncConfig, runs, dir.resolve("sync"), phases.threads(), gold, log);
    RlhfConfig asyncConfig = ConfigLoader.withOverrides(base, Map.of(
        "rlhf4j.async.workers", asyncWorkers), "bench pipeline (async)");
    Arm async = arm("async", asyncConfig, runs, dir.resolve("async"),
        new PpoPipeline.Threads(1, 1, 1), gold, log);
    return new Result(sync, async, phases, Runtime.getRuntime().availableProcessors());
  }

  private static Arm arm(String name, RlhfConfig c, Runs runs, Path out,
      PpoPipeline.Threads threads, Function<PolicySnapshot, MeanInterval> gold, PrintWriter log)
      throws IOException {
    PpoPipeline.Outcome o = PpoPipeline.run(runs.spec(c, out, threads),
        (done, total, metric, value) -> {
          if (done == total || done % 10 == 0) {
            log.printf(Locale.ROOT, "bench pipeline: %s %d/%d %s %.4f%n", name, done, total,
                metric, value);
            log.flush();
          }
        });
    MeanInterval g = gold.apply(o.policy());
    log.printf(Locale.ROOT, "bench pipeline: %s %.1f s, gold reward %.4f%n", name, o.seconds(),
        g.mean());
    log.flush();
    return new Arm(name, c.async().workers(), threads, o.seconds(),
        learnerSeconds(out.resolve("metrics.jsonl")), g, o.result().learner().droppedStale(),
        o.cpuSeconds());
  }

  /** The sum of {@code learner/round_seconds} over a run's metrics lines. */
  static double learnerSeconds(Path metrics) throws IOException {
    double sum = 0;
    for (String line : Files.readAllLines(metrics)) {
      JsonNode round = JSON.readTree(line).get("learner/round_seconds");
      sum += round == null ? 0 : round.asDouble();
    }
    return sum;
  }
}
