package org.rlhf4j.actors.ppo;

import java.util.ArrayList;
import java.util.List;
import org.rlhf4j.learner.async.RolloutMessages;
import org.rlhf4j.protocol.pb.Rollout;
import org.rlhf4j.rollout.GenerationEngine;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.Response;
import org.rlhf4j.rollout.SamplingSettings;

/** Samples one work item into rollout messages, the same way on the learner's JVM and on a node. */
public final class WorkSampler {
  private final String workerId;
  private final GenerationEngine engine;
  private long sent;

  /** A sampler for worker {@code workerId}, padding batches with {@code padId}. */
  public WorkSampler(String workerId, int padId) {
    this.workerId = workerId;
    this.engine = new GenerationEngine(0, padId);
  }

  /** One item's rollouts, with the tokens they hold and the nanoseconds sampling took. */
  public record Sampled(List<Rollout> rollouts, long tokens, long nanos) {}

  /**
   * Samples {@code work} from {@code snapshot}: the sampler is reseeded with the item's seed, so an
   * item gives the same rollouts, under the same ids, wherever and however often it runs.
   */
  public Sampled sample(PolicySnapshot snapshot, Work work, SamplingSettings sampling) {
    long start = System.nanoTime();
    engine.reseed(work.seed());
    List<Response> responses = engine.generate(snapshot, work.expanded(), sampling);
    long nanos = System.nanoTime() - start;
    List<Rollout> rollouts = new ArrayList<>(responses.size());
    long tokens = 0;
    int k = 0;
    for (int j = 0; j < work.prompts().size(); j++) {
      for (int c = 0; c < work.copies(); c++, k++) {
        Response r = responses.get(k);
        tokens += r.responseIds().length;
        rollouts.add(RolloutMessages.of(r, work.rolloutId(j, c), work.promptId(j), workerId,
            sent++));
      }
    }
    return new Sampled(rollouts, tokens, nanos);
  }
}
