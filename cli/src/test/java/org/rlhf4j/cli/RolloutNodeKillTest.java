package org.rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A learner, two rollout nodes and a scorer node, each a JVM of its own on 127.0.0.1 started as
 * a user would ({@code rlhf4j ppo --listen}, {@code rlhf4j node --join}, {@code --role scorer});
 * the learner neither samples nor scores. One rollout node is killed with {@code kill -9} while
 * both sample. The run finishes on the other node with a balanced ledger, no rollout id
 * delivered twice, and its message log replays to its final weights.
 */
class RolloutNodeKillTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private Process start(String name, List<String> args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector", "-Xmx768m", "-XX:G1PeriodicGCInterval=1000",
        "-cp", System.getProperty("java.class.path"), Rlhf4j.class.getName()));
    command.addAll(args);
    return new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile()).start();
  }

  private String log(String name) throws IOException {
    Path p = dir.resolve(name + ".log");
    return name + ": " + (Files.exists(p) ? Files.readString(p) : "(no log)");
  }

  /** Waits (bounded) until a line of the learner's metrics names both nodes' workers. */
  private void awaitBothSampling(Path metrics, Process learner, long deadline) throws Exception {
    while (true) {
      if (Files.exists(metrics)) {
        for (String line : Files.readAllLines(metrics)) {
          if (line.contains("worker/node-a/worker-0/") && line.contains("worker/node-b/worker-0/")) {
            return;
          }
        }
      }
      assertTrue(learner.isAlive(), "the learner ended before both nodes sampled: "
          + log("learner"));
      assertTrue(System.nanoTime() < deadline, "both nodes never sampled within the bound: "
          + log("learner") + log("node-a") + log("node-b"));
      Thread.sleep(50);
    }
  }

  @Test
  void aRunWhoseNodeIsKilledFinishesOnTheOtherAndReplays() throws Exception {
    Path config = dir.resolve("tiny.conf");
    Files.writeString(config, """
        rlhf4j.model { d-model = 16, layers = 1, heads = 2, context-length = 40 }
        rlhf4j.sft { steps = 2, batch-size = 4 }
        rlhf4j.reward { steps = 2, batch-size = 4 }
        rlhf4j.ppo { iterations = 300, batch-size = 4, minibatches = 2, epochs = 1,
          response-length = 4, checkpoint-every = 100 }
        rlhf4j.async { workers = 0, local-scorer = false, prompts-per-work = 2,
          stall-timeout-seconds = 120 }
        """);
    TinyData.models(dir, config);

    int port = freePort();
    Path out = dir.resolve("ppo");
    List<Process> started = new ArrayList<>();
    try {
      Process learner = start("learner", List.of("ppo", "--data",
          dir.resolve("prompts.jsonl").toString(), "--config", config.toString(), "--out",
          out.toString(), "--init", dir.resolve("sft/model").toString(), "--reward-model",
          dir.resolve("rm/model").toString(), "--listen", "127.0.0.1:" + port));
      started.add(learner);
      for (String name : List.of("node-a", "node-b")) {
        started.add(start(name, List.of("node", "--join", "127.0.0.1:" + port, "--listen",
            "127.0.0.1:0", "--workers", "1", "--name", name, "--join-timeout", "90")));
      }
      Process scorer = start("scorer", List.of("node", "--role", "scorer", "--join",
          "127.0.0.1:" + port, "--listen", "127.0.0.1:0", "--join-timeout", "90"));
      started.add(scorer);
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      awaitBothSampling(out.resolve("metrics.jsonl"), learner, deadline);
      Process killed = started.get(1);
      killed.destroyForcibly(); // SIGKILL: the node leaves nothing behind and says nothing
      assertTrue(killed.waitFor(1, TimeUnit.MINUTES));
      assertEquals(137, killed.exitValue(), "killed by SIGKILL");

      assertTrue(learner.waitFor(3, TimeUnit.MINUTES), "the run did not end: " + log("learner"));
      assertEquals(0, learner.exitValue(), log("learner"));
      Process survivor = started.get(2);
      assertTrue(survivor.waitFor(1, TimeUnit.MINUTES), "node-b did not stop after the run: "
          + log("node-b"));
      assertEquals(0, survivor.exitValue(), log("node-b"));
      assertTrue(scorer.waitFor(1, TimeUnit.MINUTES), "the scorer did not stop after the run: "
          + log("scorer"));
      // the learner has no scorer of its own: the run could end only through this node
      assertEquals(0, scorer.exitValue(), log("scorer"));
      // named by its address (port 0 given): the learner says who scores
      assertTrue(log("learner").matches("(?s).*scorer node 127\\.0\\.0\\.1:[1-9][0-9]* has "
          + "both models.*"), log("learner"));
    } finally {
      for (Process p : started) {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }

    JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
    JsonNode ledger = summary.get("ledger");
    assertEquals(ledger.get("produced").asLong(), ledger.get("trained").asLong()
        + ledger.get("dropped_stale").asLong() + ledger.get("duplicates").asLong()
        + ledger.get("rejected").asLong() + ledger.get("pending").asLong()
        + ledger.get("unused_at_end").asLong() + ledger.get("lost_to_failure").asLong(),
        ledger.toString());
    assertEquals(0, ledger.get("duplicates").asLong(), "a rollout id arrived twice");
    assertEquals(300 * 4, ledger.get("trained").asLong(), "every version trained one batch");
    assertTrue(summary.get("worker_tokens_per_s").has("node-b/worker-0"), summary.toString());
    System.out.println("after kill -9: " + ledger);

    Rlhf4jCommandTest.Run replay = Rlhf4jCommandTest.run("replay", out.toString());
    assertEquals(0, replay.exit(), replay.err());
    assertEquals(summary.get("weights_sha256").asText(),
        JSON.readTree(replay.out()).get("weights_sha256").asText());
  }
}
