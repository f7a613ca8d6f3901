package org.rlhf4j.actors.ppo;

import java.util.List;
import org.rlhf4j.learner.StepBatches;
import org.rlhf4j.learner.async.PpoLearner;
import org.rlhf4j.protocol.pb.LearnerState;

/**
 * Where the coordinator of a resumed run starts: after the newest work item whose rollouts reached
 * the learner. Items are numbered and their prompts and seeds derive from the number, so the
 * items after it are exactly those the stopped run would have issued. Rollouts of earlier items
 * that never reached the learner died with the stopped process and count as lost to failure, so
 * the ledger still balances.
 */
final class ResumePoint {
  private ResumePoint() {}

  static Coordinator.Start of(PpoLearner learner, StepBatches<int[]> promptOrder,
      int promptsPerWork, int copies) {
    LearnerState s = learner.state();
    List<Long> ids = s.getSeenRolloutIdsList();
    long next = ids.isEmpty() ? 0 : ids.get(ids.size() - 1) / copies / promptsPerWork + 1;
    long issued = 0;
    for (long w = 0; w < next; w++) {
      issued += (long) promptOrder.of(w).size() * copies;
    }
    long lost = Math.max(0, issued - ids.size() - s.getRejected());
    return new Coordinator.Start(next, learner.ledger().received() + lost, lost);
  }
}
