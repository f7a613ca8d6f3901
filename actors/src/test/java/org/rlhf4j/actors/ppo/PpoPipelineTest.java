package org.rlhf4j.actors.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.learner.ProgressListener;
import org.rlhf4j.learner.async.PpoLearner;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.protocol.MessageLogReader;
import org.rlhf4j.protocol.pb.FinishReason;
import org.rlhf4j.protocol.pb.LogRecord;
import org.rlhf4j.protocol.pb.Rollout;

/** Whole PPO runs through the actors on tiny models. */
class PpoPipelineTest {
  @TempDir Path dir;

  private static PpoPipeline.Outcome run(String overrides, Path out, FaultInjection faults)
      throws IOException {
    return PpoPipeline.run(TinyRun.spec(TinyRun.config(overrides), out, faults),
        ProgressListener.none());
  }

  @Test
  void asynchronousRunTrainsEveryRoundAndReplaysToTheSameWeights() throws IOException {
    Path out = dir.resolve("async");
    PpoPipeline.Outcome o = run("", out, FaultInjection.none());
    PipelineResult r = o.result();

    assertEquals(4, r.version());
    assertEquals(4 * 8, r.learner().trained());
    assertEquals(0, r.learner().duplicates());
    assertEquals(r.produced(), r.learner().received() + r.unusedAtEnd() + r.lostToFailure());
    // the final checkpoint holds the weights the summary names
    Checkpoint.Contents model = Checkpoint.load(o.model(), DataType.FLOAT);
    assertEquals(r.weightsSha256(), model.params().sha256());
    JsonNode summary = new ObjectMapper().readTree(o.summary().toFile());
    assertEquals(r.weightsSha256(), summary.get("weights_sha256").asText());
    assertEquals(r.produced(), summary.get("ledger").get("produced").asLong());
    assertEquals(32, summary.get("ledger").get("trained").asLong());
    assertEquals(5, Files.readAllLines(out.resolve("metrics.jsonl")).size() + 1);

    PpoLearner replayed = PipelineReplay.run(out).learner();
    assertEquals(4, replayed.version());
    assertEquals(r.weightsSha256(), replayed.policyParams().sha256());
    assertEquals(r.learner(), replayed.ledger());
  }

  @Test
  void synchronousModeSamplesOnlyFromTheCurrentPolicy() throws IOException {
    PipelineResult r = run("async { max-lag = 0, max-in-flight = 8 }", dir.resolve("sync"),
        FaultInjection.none()).result();

    assertEquals(4, r.version());
    assertEquals(32, r.learner().trained());
    assertEquals(0, r.learner().droppedStale());
    assertEquals(32, r.produced()); // nothing sampled ahead, nothing wasted at the end
    assertEquals(java.util.Map.of(0L, 32L), r.lags());
  }

  @Test
  void withoutAStopTokenEveryResponseRunsToItsLengthPastAnyEos() throws IOException {
    List<Rollout> stopped = loggedRollouts("", dir.resolve("eos"));
    assertTrue(stopped.stream().anyMatch(r -> r.getResponseIdsCount() < 6
        && r.getResponseIds(r.getResponseIdsCount() - 1) == TinyRun.EOS
        && r.getFinishReason() == FinishReason.FINISH_REASON_STOP_TOKEN),
        "by default some response ends early at EOS");

    String none = "ppo.stop-token = none";
    List<Rollout> full = loggedRollouts(none, dir.resolve("none"));
    assertEquals(32, full.size());
    for (Rollout r : full) {
      assertEquals(6, r.getResponseIdsCount(), "rollout " + r.getRolloutId());
      assertEquals(FinishReason.FINISH_REASON_LENGTH, r.getFinishReason());
    }
    assertTrue(full.stream().anyMatch(r -> r.getResponseIdsList().subList(0, 5)
        .contains(TinyRun.EOS)), "EOS is sampled mid-response and sampling goes on");
    // a rollout node is told the same: no stop tokens
    PpoPipeline.Spec spec = TinyRun.spec(TinyRun.config(none), dir.resolve("n"),
        FaultInjection.none());
    assertEquals(List.of(), PpoPipeline.setup(spec).getStopIdsList());
    assertEquals(List.of(TinyRun.EOS), PpoPipeline.setup(TinyRun.spec(TinyRun.config(""),
        dir.resolve("e"), FaultInjection.none())).getStopIdsList());
  }

  /** The rollouts a run's learner trained on, as its message log holds them. */
  private List<Rollout> loggedRollouts(String overrides, Path out) throws IOException {
    PipelineResult r = run("async { max-lag = 0, max-in-flight = 8 }, " + overrides, out,
        FaultInjection.none()).result();
    assertEquals(32, r.learner().trained());
    List<Rollout> rollouts = new ArrayList<>();
    try (MessageLogReader reader = MessageLogReader.open(out.resolve(PpoPipeline.LOG), 1 << 24)) {
      for (Optional<LogRecord> rec = reader.next(); rec.isPresent(); rec = reader.next()) {
        if (rec.get().hasScoredRollout()) {
          rollouts.add(rec.get().getScoredRollout().getRollout());
        }
      }
    }
    return rollouts;
  }

  @Test
  void weightsBroadcastEveryOtherRoundLeaveEveryOtherBatchOneVersionBehind() throws IOException {
    // one batch of credits: each batch is sampled after the previous round, from the snapshot
    // of the last broadcast (versions 0, 0, 2, 2 for rounds 1..4)
    PipelineResult r = run("async { max-lag = 1, max-in-flight = 8, weight-sync-every = 2 }",
        dir.resolve("every2"), FaultInjection.none()).result();

    assertEquals(32, r.learner().trained());
    assertEquals(java.util.Map.of(0L, 16L, 1L, 16L), r.lags());
  }

  @Test
  void rolloutsOlderThanMaxLagAreDroppedAndCounted() throws IOException {
    // two batches of credits but no lag allowed: the batch sampled ahead arrives one version old
    PipelineResult r = run("async { max-lag = 0, max-in-flight = 16 }", dir.resolve("stale"),
        FaultInjection.none()).result();

    assertEquals(32, r.learner().trained());
    assertTrue(r.learner().droppedStale() > 0, "dropped " + r.learner().droppedStale());
    assertTrue(r.lags().getOrDefault(1L, 0L) > 0, "lags " + r.lags());
    assertEquals(r.produced(), r.learner().trained() + r.learner().droppedStale()
        + r.learner().pending() + r.unusedAtEnd());
  }

  @Test
  void injectedCrashesLoseNothingAndTrainNothingTwice() throws IOException {
    FaultInjection faults = new FaultInjection(3);
    Path out = dir.resolve("crashes");
    // every third batch crashes, so a re-issued item can land on a crashing batch again: allow
    // it more attempts than the default, which is about items that keep failing on their own
    PipelineResult r = run("async.work-attempts = 50", out, faults).result();

    assertTrue(faults.crashes() >= 2, "crashes " + faults.crashes());
    assertTrue(r.reissued() >= 2, "re-issued " + r.reissued());
    assertTrue(r.lostToFailure() > 0, "a scorer crash loses the batch it was scoring");
    assertEquals(4, r.version());
    assertEquals(32, r.learner().trained());
    assertEquals(0, r.learner().duplicates());
    // every rollout the learner consumed reached it once
    Set<Long> ids = new HashSet<>();
    try (MessageLogReader reader = MessageLogReader.open(out.resolve(PpoPipeline.LOG), 1 << 24)) {
      for (Optional<LogRecord> rec = reader.next(); rec.isPresent(); rec = reader.next()) {
        if (rec.get().hasScoredRollout()) {
          long id = rec.get().getScoredRollout().getRollout().getRolloutId();
          assertTrue(ids.add(id), "rollout " + id + " logged twice");
        }
      }
    }
    assertEquals(r.learner().received(), ids.size());
    assertEquals(r.weightsSha256(), PipelineReplay.run(out).learner().policyParams().sha256());
  }

  @Test
  void tooFewCreditsForABatchIsRefusedBeforeAnythingRuns() {
    Path out = dir.resolve("few");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> run("async { max-in-flight = 4 }", out, FaultInjection.none()));
    assertTrue(e.getMessage().contains("max-in-flight"), e.getMessage());
    assertFalse(Files.exists(out), "nothing written");
  }
}
