package org.rlhf4j.learner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.model.io.Checkpoint;

/**
 * A run interrupted the ways a real one is (a torn metrics line, a corrupt newest checkpoint, a
 * kill -9 in the middle of a checkpoint write) resumes to the weights of an uninterrupted run.
 */
class ResumeFaultsTest {
  @TempDir Path dir;

  private static final RlhfConfig CONFIG = SftRunTest.config(7);

  /** Notices the run gave, as the CLI would print them. */
  private final List<String> notices = new ArrayList<>();
  private final ProgressListener listener = new ProgressListener() {
    @Override
    public void onStep(long done, long total, String metricName, double metric) {
    }

    @Override
    public void onNotice(String line) {
      notices.add(line);
    }
  };

  private String straightWeights() throws IOException {
    TrainingRun.Result r = SftRunTest.run(CONFIG, dir.resolve("straight"), false,
        ProgressListener.none());
    return Checkpoint.load(r.model(), DataType.FLOAT).params().sha256();
  }

  /** A run "killed" after step 5: checkpoints step-2 and step-4, metrics of steps 0 to 4. */
  private Path interrupted() {
    Path out = dir.resolve("interrupted");
    assertThrows(IllegalStateException.class, () -> SftRunTest.run(CONFIG, out, false,
        (done, total, name, value) -> {
          if (done == 5) {
            throw new IllegalStateException("killed");
          }
        }));
    return out;
  }

  private String resume(Path out) throws IOException {
    TrainingRun.Result r = SftRunTest.run(CONFIG, out, true, listener);
    return Checkpoint.load(r.model(), DataType.FLOAT).params().sha256();
  }

  private static List<Long> loggedSteps(Path out) throws IOException {
    List<Long> steps = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
      steps.add(new ObjectMapper().readTree(line).get("step").asLong());
    }
    return steps;
  }

  @Test
  void aTornLastMetricsLineIsCutAndTheRunResumes() throws IOException {
    String straight = straightWeights();
    Path out = interrupted();
    // a kill in the middle of writing step 5's line
    Files.writeString(out.resolve("metrics.jsonl"), "{\"step\":5,\"time\":1764000000.5,\"lo",
        StandardOpenOption.APPEND);

    assertEquals(straight, resume(out));
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L), loggedSteps(out));
    assertTrue(notices.stream().anyMatch(n -> n.contains("metrics.jsonl: cut at line 6")),
        notices.toString());
  }

  @Test
  void aCorruptNewestCheckpointIsSkippedForTheOneBeforeIt() throws IOException {
    String straight = straightWeights();
    Path out = interrupted();
    Path model = out.resolve("checkpoints/step-4/model.safetensors");
    byte[] bytes = Files.readAllBytes(model);
    bytes[bytes.length - 9] ^= 0x10; // one flipped bit in the weights
    Files.write(model, bytes);

    assertEquals(straight, resume(out));
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L), loggedSteps(out));
    assertEquals(1, notices.size(), notices.toString());
    assertTrue(notices.get(0).startsWith("resume: skipped step-4 (" + model + ": "),
        notices.get(0));
    assertTrue(notices.get(0).endsWith("going back to step-2"), notices.get(0));
  }

  @Test
  void withEveryCheckpointCorruptTheResumeIsRefusedNamingTheNewest() throws IOException {
    Path out = interrupted();
    for (String step : List.of("step-2", "step-4")) {
      Files.write(out.resolve("checkpoints").resolve(step).resolve("rlhf4j.json"),
          new byte[] {'{'});
    }
    RunDirectoryException e = assertThrows(RunDirectoryException.class, () -> resume(out));
    assertTrue(e.getMessage().contains("checkpoints/step-4/rlhf4j.json"), e.getMessage());
  }

  @Test
  void aKillDuringACheckpointWriteLeavesADirectoryTheNextStartCleansAndResumes()
      throws Exception {
    String straight = straightWeights();
    Path out = dir.resolve("killed");
    try (ChildJvm child = ChildJvm.start(CrashMidCheckpoint.class, out.toString())) {
      child.awaitLine("writing step-" + CrashMidCheckpoint.STOP_AT);
      child.kill();
    }
    Path checkpoints = out.resolve("checkpoints");
    assertEquals(List.of(".step-4.tmp-", "step-2"), names(checkpoints),
        "the kill left the unfinished step-4 beside step-2");

    assertEquals(straight, resume(out));
    assertEquals(List.of("step-6", "step-7"), names(checkpoints));
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L), loggedSteps(out));
  }

  /** The entries of {@code dir}, sorted, with the random part of temp names cut off. */
  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString().replaceAll("(\\.tmp-).*", "$1")).sorted()
          .toList();
    }
  }
}
