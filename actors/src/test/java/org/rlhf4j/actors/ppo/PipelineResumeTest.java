package org.rlhf4j.actors.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.learner.ProgressListener;
import org.rlhf4j.learner.RunDirectoryException;
import org.rlhf4j.learner.async.Replay;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.protocol.LogCorruptedException;
import org.rlhf4j.protocol.MessageLogReader;
import org.rlhf4j.protocol.pb.LogRecord;

/**
 * A PPO run through the actors that stopped mid-way continues from its newest learner checkpoint
 * and the message log after it, and its log still replays to the final weights. The stop is made
 * by hand from a finished run's directory — the log cut inside a record after version 5, the
 * checkpoint and outputs after it removed — exactly what a process killed there leaves.
 */
class PipelineResumeTest {
  private static final String SIX_VERSIONS = "ppo.iterations = 6, ppo.checkpoint-every = 2";

  @TempDir Path dir;

  private record At(long offset, long end, LogRecord record) {}

  private static List<At> records(Path log) throws IOException {
    List<At> all = new ArrayList<>();
    try (MessageLogReader r = MessageLogReader.open(log)) {
      for (long at = r.position(); ; at = r.position()) {
        Optional<LogRecord> next = r.next();
        if (next.isEmpty()) {
          return all;
        }
        all.add(new At(at, r.position(), next.get()));
      }
    }
  }

  /** A finished run of {@code overrides} in {@code out}, then made to look stopped after version 5. */
  private static void stoppedAfterVersionFive(String overrides, Path out) throws IOException {
    PpoPipeline.run(TinyRun.spec(TinyRun.config(overrides), out, FaultInjection.none()),
        ProgressListener.none());
    Path log = out.resolve(PpoPipeline.LOG);
    List<At> records = records(log);
    int marker = 0;
    while (!(records.get(marker).record().hasWeightsUpdate()
        && records.get(marker).record().getWeightsUpdate().getVersion() == 5)) {
      marker++;
    }
    At next = records.get(marker + 1);
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
      f.setLength(next.offset() + (next.end() - next.offset()) / 2); // torn inside a record
    }
    deleteTree(out.resolve("checkpoints/version-6"));
    deleteTree(out.resolve("model"));
    Files.delete(out.resolve("summary.json"));
  }

  private static PpoPipeline.Outcome resume(String overrides, Path out, List<String> notices)
      throws IOException {
    return PpoPipeline.run(TinyRun.spec(TinyRun.config(overrides), out, FaultInjection.none())
        .resuming(true), ProgressListener.none(), notices::add);
  }

  @Test
  void aStoppedRunResumesFromItsCheckpointAndReplaysToItsFinalWeights() throws IOException {
    Path out = dir.resolve("run");
    stoppedAfterVersionFive(SIX_VERSIONS, out);
    List<String> notices = new ArrayList<>();
    PpoPipeline.Outcome o = resume(SIX_VERSIONS, out, notices);

    assertEquals(6, o.result().version());
    String said = String.join("\n", notices);
    assertTrue(said.contains("resuming from policy version 5 of 6 (checkpoint "
        + out.resolve("checkpoints/version-4")), said);
    assertTrue(said.contains("cut the end of") && said.contains("torn record"), said);
    // the ledger balanced (PipelineResult checks it) and the log replays to the final weights
    Replay.Outcome replayed = PipelineReplay.run(out);
    assertTrue(replayed.complete());
    assertEquals(o.result().weightsSha256(), replayed.learner().policyParams().sha256());
    assertEquals(o.result().learner(), replayed.learner().ledger());
    JsonNode summary = new ObjectMapper().readTree(o.summary().toFile());
    assertEquals(5, summary.get("resumed_from_version").asLong());
    // one metrics line per version, none twice
    List<Long> steps = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
      steps.add(new ObjectMapper().readTree(line).get("step").asLong());
    }
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L), steps);
  }

  @Test
  void aStoppedLoraRunResumesWithItsAdaptersAndTheirMomentsAndReplays() throws IOException {
    String lora = SIX_VERSIONS + ", " + LoraPipelineTest.LORA;
    Path out = dir.resolve("lora");
    stoppedAfterVersionFive(lora, out);
    // the learner checkpoint records the lora settings, and moments for heads and adapters only
    Checkpoint.Contents saved = Checkpoint.load(out.resolve("checkpoints/version-4/policy"),
        DataType.FLOAT);
    Gpt gpt = TinyRun.spec(TinyRun.config(lora), out, FaultInjection.none()).policyModel();
    assertEquals(gpt.lora(), saved.adapters());
    assertEquals(gpt.trainableLayout(), saved.optimizer().orElseThrow().firstMoments().layout());
    Checkpoint.Contents critic = Checkpoint.load(out.resolve("checkpoints/version-4/critic"),
        DataType.FLOAT);
    assertTrue(critic.adapters().isPresent(), "the separate critic has adapters too");
    List<String> notices = new ArrayList<>();
    PpoPipeline.Outcome o = resume(lora, out, notices);

    assertEquals(6, o.result().version());
    String said = String.join("\n", notices);
    assertTrue(said.contains("resuming from policy version 5 of 6 (checkpoint "
        + out.resolve("checkpoints/version-4")), said);
    Replay.Outcome replayed = PipelineReplay.run(out);
    assertTrue(replayed.complete());
    assertEquals(o.result().weightsSha256(), replayed.learner().policyParams().sha256());
    assertEquals(o.result().learner(), replayed.learner().ledger());
  }

  @Test
  void aCheckpointThatDoesNotReadBackIsSkippedForTheStartOfTheLog() throws IOException {
    Path out = dir.resolve("corrupt");
    stoppedAfterVersionFive(SIX_VERSIONS, out);
    Path state = out.resolve("checkpoints/version-4/learner.r4jlog");
    try (RandomAccessFile f = new RandomAccessFile(state.toFile(), "rw")) {
      f.seek(20);
      int b = f.read();
      f.seek(20);
      f.write(b ^ 0x40);
    }
    List<String> notices = new ArrayList<>();
    PpoPipeline.Outcome o = resume(SIX_VERSIONS, out, notices);

    String said = String.join("\n", notices);
    assertTrue(said.contains("skipping the learner checkpoint " + out.resolve(
        "checkpoints/version-4")) && said.contains("CRC32C"), said);
    assertTrue(said.contains("resuming from policy version 5 of 6 (the start, then"), said);
    assertEquals(o.result().weightsSha256(),
        PipelineReplay.run(out).learner().policyParams().sha256());
  }

  @Test
  void resumingWithAnotherConfigurationIsRefusedNamingTheKey() throws IOException {
    Path out = dir.resolve("other");
    stoppedAfterVersionFive(SIX_VERSIONS, out);
    RunDirectoryException e = assertThrows(RunDirectoryException.class,
        () -> resume(SIX_VERSIONS + ", ppo.kl-coef = 0.5", out, new ArrayList<>()));
    assertTrue(e.getMessage().contains("rlhf4j.ppo.kl-coef (0.02 there, 0.5 now)"),
        e.getMessage());
  }

  @Test
  void aFinishedRunHasNothingToResume() throws IOException {
    Path out = dir.resolve("finished");
    PpoPipeline.run(TinyRun.spec(TinyRun.config(""), out, FaultInjection.none()),
        ProgressListener.none());
    RunDirectoryException e = assertThrows(RunDirectoryException.class,
        () -> resume("", out, new ArrayList<>()));
    assertTrue(e.getMessage().contains("finished"), e.getMessage());
  }

  @Test
  void replayNamesAStartingFileThatWasEdited() throws IOException {
    Path out = dir.resolve("edited");
    PpoPipeline.run(TinyRun.spec(TinyRun.config(""), out, FaultInjection.none()),
        ProgressListener.none());
    String conf = Files.readString(out.resolve("config.conf"));
    assertTrue(conf.contains("kl-coef=0.02"), conf);
    Files.writeString(out.resolve("config.conf"), conf.replace("kl-coef=0.02", "kl-coef=0.03"));
    RunDirectoryException e = assertThrows(RunDirectoryException.class,
        () -> PipelineReplay.run(out));
    assertTrue(e.getMessage().startsWith(out.resolve("config.conf")
        + " was changed after the run started"), e.getMessage());
  }

  @Test
  void aLogCutAtARecordBoundaryReplaysAsIncompleteAndADroppedRecordIsCaught() throws IOException {
    Path out = dir.resolve("cut");
    PpoPipeline.run(TinyRun.spec(TinyRun.config(""), out, FaultInjection.none()),
        ProgressListener.none());
    Path log = out.resolve(PpoPipeline.LOG);
    byte[] whole = Files.readAllBytes(log);
    List<At> records = records(log);
    At middle = records.get(records.size() / 2);

    // cut at a record boundary: every record whole, but the run's end is missing
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
      f.setLength(middle.offset());
    }
    Replay.Outcome cut = PipelineReplay.run(out);
    assertTrue(!cut.complete());
    assertTrue(cut.learner().version() < 4, "version " + cut.learner().version());

    // one record left out of the middle: the next one's sequence number gives it away
    byte[] dropped = new byte[whole.length - (int) (middle.end() - middle.offset())];
    System.arraycopy(whole, 0, dropped, 0, (int) middle.offset());
    System.arraycopy(whole, (int) middle.end(), dropped, (int) middle.offset(),
        whole.length - (int) middle.end());
    Files.write(log, dropped);
    LogCorruptedException e = assertThrows(LogCorruptedException.class,
        () -> PipelineReplay.run(out));
    assertEquals(middle.offset(), e.offset());
    assertTrue(e.getMessage().contains("sequence number"), e.getMessage());
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
