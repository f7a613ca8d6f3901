package org.rlhf4j.rollout;

import java.util.Arrays;

/**
 * One sampled response: the prompt's and the response's token ids, the behaviour log-prob of each
 * response token ({@code log softmax(logits / temperature)}), why it ended and the policy version.
 */
public record Response(int[] promptIds, int[] responseIds, float[] logprobs,
    FinishReason finishReason, long policyVersion) {

  public Response {
    if (logprobs.length != responseIds.length) {
      throw new IllegalArgumentException("one log-prob per response token");
    }
    promptIds = promptIds.clone();
    responseIds = responseIds.clone();
    logprobs = logprobs.clone();
  }

  @Override
  public int[] promptIds() {
    return promptIds.clone();
  }

  @Override
  public int[] responseIds() {
    return responseIds.clone();
  }

  @Override
  public float[] logprobs() {
    return logprobs.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Response r && Arrays.equals(r.promptIds, promptIds)
        && Arrays.equals(r.responseIds, responseIds) && Arrays.equals(r.logprobs, logprobs)
        && r.finishReason == finishReason && r.policyVersion == policyVersion;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(responseIds) * 31 + Arrays.hashCode(promptIds);
  }

  @Override
  public String toString() {
    return "Response[prompt=" + Arrays.toString(promptIds) + ", response="
        + Arrays.toString(responseIds) + ", finish=" + finishReason + ", version=" + policyVersion
        + "]";
  }
}
