package org.rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rlhf4j ppo} killed with {@code kill -9} in a child JVM, then {@code ppo --resume}d: it
 * says where it resumed, finishes with a balanced ledger, and {@code replay} rebuilds its final
 * weights; {@code replay} of a cut log disagrees with the summary and says so.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PpoResumeCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private Path dir;
  private Path config;

  @BeforeAll
  void models(@TempDir Path temp) throws IOException {
    dir = temp;
    config = dir.resolve("tiny.conf");
    // enough iterations that the child is still training when its first checkpoints appear
    Files.writeString(config, """
        rlhf4j.model { d-model = 16, layers = 1, heads = 2, context-length = 40 }
        rlhf4j.sft { steps = 2, batch-size = 4 }
        rlhf4j.reward { steps = 2, batch-size = 4 }
        rlhf4j.ppo { iterations = 80, batch-size = 4, minibatches = 2, epochs = 1,
          response-length = 4, checkpoint-every = 2 }
        """);
    TinyData.models(dir, config);
  }

  private static Rlhf4jCommandTest.Run ok(String... args) {
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run(args);
    assertEquals(0, r.exit(), r.err());
    return r;
  }

  private List<String> ppo(Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of("ppo", "--data",
        dir.resolve("prompts.jsonl").toString(), "--config", config.toString(), "--out",
        out.toString(), "--init", dir.resolve("sft/model").toString(), "--reward-model",
        dir.resolve("rm/model").toString()));
    args.addAll(List.of(extra));
    return args;
  }

  /** Starts {@code rlhf4j ppo} into {@code out} in a child JVM and kills it with SIGKILL once
   * {@code checkpoints/version-4} exists. */
  private void killedMidway(Path out) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector", "-Xmx1g", "-XX:G1PeriodicGCInterval=1000",
        "-cp", System.getProperty("java.class.path"), Rlhf4j.class.getName()));
    command.addAll(ppo(out));
    Process child = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("child.log").toFile())
        .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      while (!Files.exists(out.resolve("checkpoints/version-4"))) {
        assertTrue(child.isAlive(), "the child ended before its fourth version: "
            + Files.readString(dir.resolve("child.log")));
        assertTrue(System.nanoTime() < deadline, "no checkpoint within 3 minutes: "
            + Files.readString(dir.resolve("child.log")));
        Thread.sleep(20);
      }
      child.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no flush
      assertTrue(child.waitFor(1, TimeUnit.MINUTES));
      assertEquals(137, child.exitValue(), "killed by SIGKILL");
    } finally {
      child.destroyForcibly();
    }
  }

  @Test
  void aRunKilledMidwayResumesAndReplaysToItsFinalWeights() throws Exception {
    Path out = dir.resolve("killed");
    killedMidway(out);
    assertFalse(Files.exists(out.resolve("summary.json")), "the child did not finish");

    Rlhf4jCommandTest.Run resumed = ok(ppo(out, "--resume").toArray(String[]::new));
    assertTrue(resumed.err().contains("rlhf4j: resuming from policy version "), resumed.err());
    System.out.println(resumed.err().lines().filter(l -> l.startsWith("rlhf4j: "))
        .reduce("", (a, b) -> a + b + "\n"));
    JsonNode result = JSON.readTree(resumed.out());
    assertEquals(80, result.get("iterations").asInt());
    JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
    JsonNode ledger = summary.get("ledger");
    assertEquals(ledger.get("produced").asLong(), ledger.get("trained").asLong()
        + ledger.get("dropped_stale").asLong() + ledger.get("duplicates").asLong()
        + ledger.get("rejected").asLong() + ledger.get("pending").asLong()
        + ledger.get("unused_at_end").asLong() + ledger.get("lost_to_failure").asLong());
    assertEquals(80 * 4, ledger.get("trained").asLong(), "every version trained one batch");

    Rlhf4jCommandTest.Run replay = ok("replay", out.toString());
    JsonNode replayed = JSON.readTree(replay.out());
    assertEquals(summary.get("weights_sha256").asText(), replayed.get("weights_sha256").asText());
    assertTrue(replayed.get("complete").asBoolean());
    assertTrue(replayed.get("matches_summary").asBoolean());

    // the same log cut at a record boundary replays to fewer versions: exit 1, both hashes
    long length = Files.size(out.resolve("messages.r4jlog"));
    Path cut = dir.resolve("cut");
    copyTree(out, cut);
    try (RandomAccessFile f = new RandomAccessFile(cut.resolve("messages.r4jlog").toFile(),
        "rw")) {
      f.setLength(boundaryBefore(cut.resolve("messages.r4jlog"), length / 2));
    }
    Rlhf4jCommandTest.Run bad = Rlhf4jCommandTest.run("replay", cut.toString());
    assertEquals(1, bad.exit(), bad.err());
    assertTrue(bad.err().contains(summary.get("weights_sha256").asText())
        && bad.err().contains(JSON.readTree(bad.out()).get("weights_sha256").asText())
        && bad.err().contains("it was cut"), bad.err());
  }

  /** The offset of the last record boundary at or before {@code at}. */
  private static long boundaryBefore(Path log, long at) throws IOException {
    long boundary = 8;
    try (var r = org.rlhf4j.protocol.MessageLogReader.open(log)) {
      while (r.next().isPresent() && r.position() <= at) {
        boundary = r.position();
      }
    }
    return boundary;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (var walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
