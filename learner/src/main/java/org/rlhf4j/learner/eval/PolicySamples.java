package org.rlhf4j.learner.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.rlhf4j.model.tokenizer.Tokenizer;
import org.rlhf4j.rollout.GenerationEngine;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.Response;

/** Responses sampled from one policy, K per prompt, with decoded text and behaviour log-probs. */
public final class PolicySamples {
  /**
   * One sampled response: the index of its prompt, the rollout (ids and behaviour log-probs), and
   * the decoded text of prompt + response and of the response alone, special tokens skipped.
   */
  public record Sample(int prompt, Response response, String text, String responseText) {}

  private final PolicySnapshot policy;
  private final SamplingPlan plan;
  private final int padId;
  private final List<Sample> samples;

  private PolicySamples(PolicySnapshot policy, SamplingPlan plan, int padId, List<Sample> samples) {
    this.policy = policy;
    this.plan = plan;
    this.padId = padId;
    this.samples = Collections.unmodifiableList(samples);
  }

  /**
   * Samples {@code plan.perPrompt()} responses to each of {@code prompts} from {@code policy}
   * with a generation engine seeded by {@code plan.seed()}, so the same call gives the same
   * samples. Samples are prompt-major: those of prompt i are {@code i·K .. i·K + K − 1}.
   */
  public static PolicySamples draw(PolicySnapshot policy, List<int[]> prompts,
      Tokenizer tokenizer, SamplingPlan plan) {
    int vocab = policy.model().config().vocabSize();
    if (tokenizer.padId() >= vocab) {
      throw new IllegalArgumentException("the tokenizer's pad id " + tokenizer.padId()
          + " is outside the model's vocabulary of " + vocab);
    }
    int k = plan.perPrompt();
    List<int[]> rows = new ArrayList<>(prompts.size() * k);
    for (int[] prompt : prompts) {
      for (int j = 0; j < k; j++) {
        rows.add(prompt);
      }
    }
    GenerationEngine engine = new GenerationEngine(plan.seed(), tokenizer.padId());
    List<Sample> samples = new ArrayList<>(rows.size());
    for (int from = 0; from < rows.size(); from += plan.batchSize()) {
      int to = Math.min(rows.size(), from + plan.batchSize());
      List<Response> responses = engine.generate(policy, rows.subList(from, to), plan.settings());
      for (int i = 0; i < responses.size(); i++) {
        samples.add(decoded((from + i) / k, responses.get(i), tokenizer));
      }
    }
    return new PolicySamples(policy, plan, tokenizer.padId(), samples);
  }

  private static Sample decoded(int prompt, Response response, Tokenizer tokenizer) {
    int[] promptIds = response.promptIds();
    int[] responseIds = response.responseIds();
    int[] all = new int[promptIds.length + responseIds.length];
    System.arraycopy(promptIds, 0, all, 0, promptIds.length);
    System.arraycopy(responseIds, 0, all, promptIds.length, responseIds.length);
    // decoding the joined ids, not joining two decodings, keeps a character split across the
    // prompt–response boundary whole
    String text = tokenizer.decode(all, 0, all.length, Tokenizer.Specials.SKIP);
    String responseText = tokenizer.decode(responseIds, 0, responseIds.length,
        Tokenizer.Specials.SKIP);
    return new Sample(prompt, response, text, responseText);
  }

  /** The policy the samples were drawn from. */
  public PolicySnapshot policy() {
    return policy;
  }

  public SamplingPlan plan() {
    return plan;
  }

  /** The id that padded the prompts; batches built from these samples pad with it too. */
  public int padId() {
    return padId;
  }

  /** All samples, prompt-major; unmodifiable. */
  public List<Sample> samples() {
    return samples;
  }

  /** The first sample of each prompt, in prompt order: one independent draw per prompt. */
  public List<Sample> firstPerPrompt() {
    List<Sample> first = new ArrayList<>(samples.size() / plan.perPrompt());
    for (int i = 0; i < samples.size(); i += plan.perPrompt()) {
      first.add(samples.get(i));
    }
    return first;
  }
}
