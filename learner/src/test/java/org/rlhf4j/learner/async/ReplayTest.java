package org.rlhf4j.learner.async;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rlhf4j.config.PpoConfig;
import org.rlhf4j.learner.async.TinySetup.Rig;
import org.rlhf4j.protocol.FlushPolicy;
import org.rlhf4j.protocol.LogCorruptedException;
import org.rlhf4j.protocol.MessageLogReader;
import org.rlhf4j.protocol.MessageLogWriter;
import org.rlhf4j.protocol.pb.LogRecord;
import org.rlhf4j.protocol.pb.ScoredRollout;

class ReplayTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"),
      ZoneOffset.UTC);
  private static final PpoConfig CONFIG = TinySetup.ppo("decoupled = true");
  private static final int MAX_LAG = 1;

  @TempDir Path dir;

  /** A record and the byte offset where it starts. */
  private record At(long offset, LogRecord record) {}

  /**
   * Six steps of two workers (one fetching weights every third step) feeding a learner through a
   * recorder, with shuffled, delayed, duplicated and stale deliveries and one malformed message.
   */
  private static Rig recordedRun(Path log, long learnerSeed) throws IOException {
    Rig rig = TinySetup.rig(CONFIG, MAX_LAG, learnerSeed);
    WorkerSimulation workers = new WorkerSimulation(rig, 17, new int[] {1, 3}, 1, 0.2, 0.2);
    try (MessageLogWriter writer = MessageLogWriter.create(log, FlushPolicy.BUFFERED)) {
      LearnerRecorder recorder = new LearnerRecorder(rig.learner(), writer, CLOCK);
      for (int step = 0; step < 6; step++) {
        for (ScoredRollout m : workers.step(step)) {
          recorder.offer(m);
          if (step == 2 && rig.learner().ledger().rejected() == 0) {
            recorder.offer(m.toBuilder().setScore(Float.NaN).build());
          }
        }
      }
    }
    return rig;
  }

  private static List<At> records(Path log) throws IOException {
    List<At> out = new ArrayList<>();
    try (MessageLogReader reader = MessageLogReader.open(log)) {
      while (true) {
        long offset = reader.position();
        Optional<LogRecord> r = reader.next();
        if (r.isEmpty()) {
          return out;
        }
        out.add(new At(offset, r.get()));
      }
    }
  }

  @Test
  void replayingTheLogOfAnAsynchronousRunEndsWithBitIdenticalWeights() throws IOException {
    Path log = dir.resolve("run.log");
    PpoLearner original = recordedRun(log, 7).learner();
    PpoLearner replayed = Replay.run(log, TinySetup.rig(CONFIG, MAX_LAG, 7).learner());
    assertEquals(original.policyParams().sha256(), replayed.policyParams().sha256());
    assertEquals(original.version(), replayed.version());
    assertEquals(original.ledger(), replayed.ledger());
    assertEquals(original.lastRound(), replayed.lastRound());
    Ledger ledger = original.ledger();
    assertTrue(original.version() >= 4 && ledger.droppedStale() > 0 && ledger.duplicates() > 0
        && ledger.rejected() == 1, "the run must exercise every outcome: " + ledger);
    List<At> records = records(log);
    assertEquals(ledger.received(), records.stream()
        .filter(a -> a.record().hasScoredRollout()).count(), "every message is logged");
    assertEquals(original.version(), records.stream()
        .filter(a -> a.record().hasWeightsUpdate()).count(), "one version marker per round");
    for (int i = 0; i < records.size(); i++) {
      assertEquals(i, records.get(i).record().getSequence());
    }
  }

  @Test
  void twoRecordedRunsWithTheSameSeedsWriteByteIdenticalLogs() throws IOException {
    recordedRun(dir.resolve("a.log"), 7);
    recordedRun(dir.resolve("b.log"), 7);
    assertArrayEquals(Files.readAllBytes(dir.resolve("a.log")),
        Files.readAllBytes(dir.resolve("b.log")));
  }

  @Test
  void aCorruptedRecordStopsReplayAtItsOffset() throws IOException {
    Path log = dir.resolve("run.log");
    recordedRun(log, 7);
    List<At> records = records(log);
    int bad = records.size() / 2;
    while (!records.get(bad).record().hasScoredRollout()) {
      bad++;
    }
    long before = records.subList(0, bad).stream().filter(a -> a.record().hasScoredRollout())
        .count();
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
      long at = records.get(bad).offset() + 8; // inside the payload
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x10);
    }
    PpoLearner fresh = TinySetup.rig(CONFIG, MAX_LAG, 7).learner();
    LogCorruptedException e = assertThrows(LogCorruptedException.class,
        () -> Replay.run(log, fresh));
    assertEquals(records.get(bad).offset(), e.offset());
    assertTrue(e.getMessage().contains("CRC32C"), e.getMessage());
    assertEquals(before, fresh.ledger().received(), "nothing at or after the bad record is fed");
  }

  @Test
  void aTornTailStopsReplayAtTheLastRecord() throws IOException {
    Path log = dir.resolve("run.log");
    recordedRun(log, 7);
    List<At> records = records(log);
    long last = records.get(records.size() - 1).offset();
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
      f.setLength(f.length() - 2);
    }
    LogCorruptedException e = assertThrows(LogCorruptedException.class,
        () -> Replay.run(log, TinySetup.rig(CONFIG, MAX_LAG, 7).learner()));
    assertEquals(last, e.offset());
    assertTrue(e.getMessage().contains("torn"), e.getMessage());
  }

  @Test
  void aReplayIntoALearnerWithAnotherSeedIsReportedAsDivergedAtVersionOne() throws IOException {
    Path log = dir.resolve("run.log");
    recordedRun(log, 7);
    ReplayDivergedException e = assertThrows(ReplayDivergedException.class,
        () -> Replay.run(log, TinySetup.rig(CONFIG, MAX_LAG, 8).learner()));
    assertEquals(1, e.version());
    assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
  }

  @Test
  void replayRefusesALearnerThatHasAlreadyReceivedMessages() throws IOException {
    Path log = dir.resolve("run.log");
    Rig used = recordedRun(log, 7);
    assertThrows(IllegalArgumentException.class, () -> Replay.run(log, used.learner()));
  }
}
