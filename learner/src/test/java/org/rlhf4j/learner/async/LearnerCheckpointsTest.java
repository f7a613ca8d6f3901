package org.rlhf4j.learner.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rlhf4j.config.PpoConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.kernels.VectorKernels;
import org.rlhf4j.protocol.pb.ScoredRollout;

/**
 * A learner put back from a checkpoint trains on exactly as the saved one: same weights, ledger
 * and metrics after the same later messages, for a separate critic and for GRPO's pending groups.
 */
class LearnerCheckpointsTest {
  private static final Gpt CRITIC = new Gpt(TinySetup.SMALL, EnumSet.of(Head.VALUE),
      new VectorKernels());

  @TempDir Path dir;

  /** Messages of six simulated steps, fed to {@code rig}; a checkpoint is saved at version 2. */
  private static List<ScoredRollout> runWithCheckpoint(TinySetup.Rig rig, LearnerCheckpoints cps,
      int samplesPerPrompt, int[] savedAfter) throws IOException {
    WorkerSimulation workers = new WorkerSimulation(rig, 17, new int[] {1, 3}, samplesPerPrompt,
        0.2, 0.2);
    List<ScoredRollout> all = new ArrayList<>();
    for (int step = 0; step < 6; step++) {
      for (ScoredRollout m : workers.step(step)) {
        all.add(m);
        if (rig.learner().offer(m) == PpoLearner.Outcome.TRAINED
            && rig.learner().version() == 2) {
          cps.save(rig.learner(), rig.reference().model(), CRITIC, Map.of(), all.size(), 8);
          savedAfter[0] = all.size();
        }
      }
    }
    return all;
  }

  @ParameterizedTest
  @ValueSource(strings = {"critic = separate", "advantage = grpo, kl-coef = 0.05"})
  void aRestoredLearnerTrainsOnExactlyAsTheSavedOne(String settings) throws IOException {
    PpoConfig c = TinySetup.ppo(settings);
    int samples = c.advantage().equals("gae") ? 1 : c.groupSize();
    TinySetup.Rig original = TinySetup.rig(c, 1, 7);
    LearnerCheckpoints cps = new LearnerCheckpoints(dir, 2);
    int[] savedAfter = new int[1];
    List<ScoredRollout> all = runWithCheckpoint(original, cps, samples, savedAfter);
    assertTrue(original.learner().version() >= 4, "version " + original.learner().version()
        + ", " + original.learner().ledger());

    PpoLearner restored = TinySetup.rig(c, 1, 7).learner();
    Optional<LearnerCheckpoints.Restored> r = cps.restoreNewest(restored, Long.MAX_VALUE,
        m -> { });
    assertEquals(2, r.orElseThrow().version());
    assertEquals(savedAfter[0], r.get().logRecords());
    for (ScoredRollout m : all.subList(savedAfter[0], all.size())) {
      restored.offer(m);
    }
    assertEquals(original.learner().policyParams().sha256(), restored.policyParams().sha256());
    if (original.critic() != null) {
      assertEquals(original.critic().sha256(), restored.criticParams().sha256());
    }
    assertEquals(original.learner().ledger(), restored.ledger());
    assertEquals(original.learner().lastRound(), restored.lastRound());
    assertEquals(original.learner().klCoef(), restored.klCoef());
  }

  @Test
  void aCheckpointThatDoesNotReadBackIsSkippedAndSaid() throws IOException {
    PpoConfig c = TinySetup.ppo("critic = separate");
    TinySetup.Rig rig = TinySetup.rig(c, 1, 7);
    LearnerCheckpoints cps = new LearnerCheckpoints(dir, 2);
    runWithCheckpoint(rig, cps, 1, new int[1]);
    Path policyWeights = dir.resolve("checkpoints/version-2/policy/model.safetensors");
    try (RandomAccessFile f = new RandomAccessFile(policyWeights.toFile(), "rw")) {
      f.seek(f.length() - 3);
      int b = f.read();
      f.seek(f.length() - 3);
      f.write(b ^ 0x01);
    }
    List<String> notices = new ArrayList<>();
    PpoLearner fresh = TinySetup.rig(c, 1, 7).learner();
    assertTrue(cps.restoreNewest(fresh, Long.MAX_VALUE, notices::add).isEmpty());
    assertEquals(1, notices.size());
    assertTrue(notices.get(0).startsWith("skipping the learner checkpoint "
        + dir.resolve("checkpoints/version-2")), notices.get(0));
    assertEquals(0, fresh.version(), "nothing of the bad checkpoint was applied");
  }
}
