package org.rlhf4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.rlhf4j.actors.cluster.ClusterNodeConfig;
import org.rlhf4j.actors.cluster.RolloutNode;
import org.rlhf4j.actors.ppo.PpoPipeline;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.RlhfConfig;

/**
 * Rollout throughput when some of a run's workers are on rollout nodes: the same number of
 * workers in all, {@code nodes} of them each on a node of its own (an actor system of this JVM
 * joined over Artery on 127.0.0.1, so work, weights and rollouts cross the wire), the rest in the
 * learner's. Rollouts per second are counted between the first and the last policy update, so
 * the nodes' joining is not in them.
 */
public final class NodeOverhead {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One run's figures. */
  public record Result(int nodes, int localWorkers, int versions, double seconds,
      double rolloutsPerSecond) {
    /** The JSON line {@code bench pipeline --nodes} prints. */
    public String json() {
      return String.format(Locale.ROOT, "{\"nodes\": %d, \"local_workers\": %d, \"versions\": "
          + "%d, \"seconds\": %.2f, \"rollouts_per_s\": %.1f}", nodes, localWorkers, versions,
          seconds, rolloutsPerSecond);
    }
  }

  private NodeOverhead() {}

  /**
   * PPO of {@code base} into {@code dir} with {@code workers} workers, {@code nodes} of them on
   * nodes of one worker each.
   */
  public static Result run(RlhfConfig base, PipelineBench.Runs runs, Path dir, int workers,
      int nodes, PrintWriter log) throws Exception {
    if (nodes < 0 || nodes > workers) {
      throw new IllegalArgumentException("nodes must be from 0 to the " + workers + " workers");
    }
    // several cluster members in one JVM: each registers its MBeans under its own name
    System.setProperty("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on");
    ConfigFactory.invalidateCaches();
    RlhfConfig c = ConfigLoader.withOverrides(base, Map.of("rlhf4j.async.workers",
        workers - nodes), "bench pipeline --nodes");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    PpoPipeline.Spec spec = runs.spec(c, dir, new PpoPipeline.Threads(1, 1, 1));
    CompletableFuture<PpoPipeline.Outcome> run = CompletableFuture.supplyAsync(() -> {
      try {
        return PpoPipeline.run(spec, (done, total, m, v) -> {
          if (done == total || done % 10 == 0) {
            log.printf(Locale.ROOT, "bench pipeline: %d node(s) %d/%d%n", nodes, done, total);
            log.flush();
          }
        }, notice -> { }, nodes == 0 ? null : new PpoPipeline.Listen("127.0.0.1", port));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    List<ActorSystem<Object>> started = new ArrayList<>();
    try {
      for (int i = 0; i < nodes; i++) {
        started.add(ActorSystem.create(RolloutNode.create("node-" + i, 1, 1,
            PpoPipeline.DISPATCHER), PpoPipeline.SYSTEM, ClusterNodeConfig.of("127.0.0.1", 0,
            List.of("pekko://" + PpoPipeline.SYSTEM + "@127.0.0.1:" + port),
            ConfigFactory.load())));
      }
      run.get(2, TimeUnit.HOURS);
    } finally {
      for (ActorSystem<Object> s : started) {
        s.terminate();
        s.getWhenTerminated().toCompletableFuture().get(1, TimeUnit.MINUTES);
      }
    }
    List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
    JsonNode first = JSON.readTree(lines.get(0));
    JsonNode last = JSON.readTree(lines.get(lines.size() - 1));
    double seconds = last.get("time").asDouble() - first.get("time").asDouble();
    int versions = lines.size() - 1;
    return new Result(nodes, workers - nodes, versions, seconds,
        versions * (double) c.ppo().batchSize() / seconds);
  }
}
