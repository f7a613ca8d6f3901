package org.rlhf4j.learner.async;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.rlhf4j.protocol.pb.ScoredRollout;
import org.rlhf4j.rollout.GenerationEngine;
import org.rlhf4j.rollout.PolicySnapshot;

/**
 * Rollout workers in miniature, all seeded: worker w samples {@link TinySetup#PROMPTS} from the
 * snapshot it last fetched from the learner and fetches a new one every {@code refreshEvery[w]}
 * steps, so a slow worker's rollouts fall behind. Deliveries are delayed by a step, shuffled and
 * duplicated at random, as a scorer pool with restarts would deliver them.
 */
final class WorkerSimulation {
  private final TinySetup.Rig rig;
  private final int[] refreshEvery;
  private final int samplesPerPrompt;
  private final double duplicateRate;
  private final double holdBackRate;
  private final GenerationEngine[] engines;
  private final PolicySnapshot[] snapshots;
  private final SplittableRandom rng;
  private final List<ScoredRollout> delivered = new ArrayList<>();
  private List<ScoredRollout> heldBack = new ArrayList<>();
  private long nextRolloutId = 1;
  private long nextPromptId = 1;
  private long produced;

  WorkerSimulation(TinySetup.Rig rig, long seed, int[] refreshEvery, int samplesPerPrompt,
      double duplicateRate, double holdBackRate) {
    this.rig = rig;
    this.refreshEvery = refreshEvery.clone();
    this.samplesPerPrompt = samplesPerPrompt;
    this.duplicateRate = duplicateRate;
    this.holdBackRate = holdBackRate;
    this.engines = new GenerationEngine[refreshEvery.length];
    this.snapshots = new PolicySnapshot[refreshEvery.length];
    for (int w = 0; w < engines.length; w++) {
      engines[w] = new GenerationEngine(seed * 31 + w, TinySetup.PAD);
    }
    this.rng = new SplittableRandom(seed);
  }

  /**
   * One step: each worker due for it fetches the learner's current policy, every worker samples
   * and its rollouts are scored; the step's messages (with those held back last step, minus
   * those held back now) come out shuffled, some followed by a re-delivery of an earlier one.
   */
  List<ScoredRollout> step(int step) {
    List<ScoredRollout> fresh = new ArrayList<>(heldBack);
    heldBack = new ArrayList<>();
    for (int w = 0; w < engines.length; w++) {
      if (snapshots[w] == null || step % refreshEvery[w] == 0) {
        snapshots[w] = rig.learner().snapshot();
      }
      List<ScoredRollout> scored = TinySetup.sampleAndScore(rig, engines[w], snapshots[w],
          TinySetup.PROMPTS, samplesPerPrompt, nextRolloutId, nextPromptId, "worker-" + w);
      nextRolloutId += scored.size();
      nextPromptId += TinySetup.PROMPTS.size();
      produced += scored.size();
      for (ScoredRollout m : scored) {
        (rng.nextDouble() < holdBackRate ? heldBack : fresh).add(m);
      }
    }
    Collections.shuffle(fresh, new Random(rng.nextLong()));
    List<ScoredRollout> out = new ArrayList<>();
    for (ScoredRollout m : fresh) {
      out.add(m);
      delivered.add(m);
      if (rng.nextDouble() < duplicateRate) {
        out.add(delivered.get(rng.nextInt(delivered.size())));
      }
    }
    return out;
  }

  /** Distinct rollouts sampled so far. */
  long produced() {
    return produced;
  }

  /** Rollouts sampled but held back for the next step: not yet delivered. */
  int inFlight() {
    return heldBack.size();
  }
}
