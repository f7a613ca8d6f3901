package org.rlhf4j.learner.async;

import org.rlhf4j.protocol.pb.Rollout;
import org.rlhf4j.rollout.Response;

/** Turns a sampled {@link Response} into the {@link Rollout} message a rollout worker sends. */
public final class RolloutMessages {
  private RolloutMessages() {}

  /**
   * The message for {@code response}, with the policy version the response carries.
   *
   * @param rolloutId unique across the run: the learner trains each id at most once
   * @param promptId the prompt's id; GRPO/RLOO group responses by it
   * @param workerId the worker that sampled it
   * @param sequenceNumber the worker's running count of rollouts sent
   */
  public static Rollout of(Response response, long rolloutId, long promptId, String workerId,
      long sequenceNumber) {
    Rollout.Builder b = Rollout.newBuilder()
        .setRolloutId(rolloutId)
        .setPromptId(promptId)
        .setPolicyVersion(response.policyVersion())
        .setWorkerId(workerId)
        .setSequenceNumber(sequenceNumber)
        .setFinishReason(finishReason(response.finishReason()));
    for (int id : response.promptIds()) {
      b.addPromptIds(id);
    }
    for (int id : response.responseIds()) {
      b.addResponseIds(id);
    }
    for (float lp : response.logprobs()) {
      b.addBehaviourLogprobs(lp);
    }
    return b.build();
  }

  /** The wire form of a finish reason. */
  public static org.rlhf4j.protocol.pb.FinishReason finishReason(
      org.rlhf4j.rollout.FinishReason reason) {
    return switch (reason) {
      case STOP_TOKEN -> org.rlhf4j.protocol.pb.FinishReason.FINISH_REASON_STOP_TOKEN;
      case LENGTH -> org.rlhf4j.protocol.pb.FinishReason.FINISH_REASON_LENGTH;
    };
  }
}
