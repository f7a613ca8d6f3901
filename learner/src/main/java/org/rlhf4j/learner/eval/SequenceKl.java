package org.rlhf4j.learner.eval;

import java.util.ArrayList;
import java.util.List;
import org.rlhf4j.learner.ResponseBatch;
import org.rlhf4j.model.PolicyEvaluation;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.Response;
import org.rlhf4j.rollout.SamplingSettings;

/**
 * Sequence-level KL(π‖π_ref) = E_{y∼π}[log π(y) − log π_ref(y)], estimated from responses sampled
 * from π.
 *
 * <p>The estimator is the plain Monte Carlo mean of {@code Σ_t (log π(y_t) − log π_ref(y_t))}
 * over the samples: the k1 estimator of Schulman's "Approximating KL divergence" summed over a
 * response. It is unbiased, but a single sample's term (and, for a finite sample, the mean) can
 * be negative although the KL never is; the 95% interval says how far to trust it.
 *
 * <p>Both π and π_ref are the tempered distributions {@code softmax(logits / T)} with T the
 * samples' temperature, since that is what the responses were drawn from. At T = 1 this is the
 * KL of the models themselves. Top-k, top-p and greedy decoding draw from other distributions,
 * so samples taken with them are refused.
 */
public final class SequenceKl {
  private SequenceKl() {}

  /** Each sample's {@code Σ_t (log π(y_t) − log π_ref(y_t))}, in sample order. */
  public static double[] perSample(PolicySamples samples, PolicySnapshot reference) {
    SamplingSettings s = samples.plan().settings();
    if (s.greedy() || s.topK() > 0 || s.topP() < 1) {
      throw new IllegalArgumentException("the samples were drawn with " + s + ", not from "
          + "softmax(logits / T): use top-k = 0, top-p = 1 and no greedy decoding to estimate KL");
    }
    PolicySnapshot policy = samples.policy();
    int vocab = policy.model().config().vocabSize();
    if (reference.model().config().vocabSize() != vocab) {
      throw new IllegalArgumentException("the reference has a vocabulary of "
          + reference.model().config().vocabSize() + " tokens, the policy " + vocab);
    }
    List<PolicySamples.Sample> all = samples.samples();
    double[] kl = new double[all.size()];
    int batch = samples.plan().batchSize();
    for (int from = 0; from < all.size(); from += batch) {
      int to = Math.min(all.size(), from + batch);
      double[] chunk = chunk(all.subList(from, to), policy, reference, s.temperature(),
          samples.padId());
      System.arraycopy(chunk, 0, kl, from, chunk.length);
    }
    return kl;
  }

  /** The mean of {@link #perSample} with its normal-approximation 95% interval. */
  public static MeanInterval estimate(PolicySamples samples, PolicySnapshot reference) {
    return Statistics.meanInterval(perSample(samples, reference));
  }

  private static double[] chunk(List<PolicySamples.Sample> samples, PolicySnapshot policy,
      PolicySnapshot reference, double temperature, int padId) {
    List<int[]> prompts = new ArrayList<>(samples.size());
    List<int[]> responses = new ArrayList<>(samples.size());
    for (PolicySamples.Sample sample : samples) {
      Response r = sample.response();
      prompts.add(r.promptIds());
      responses.add(r.responseIds());
    }
    // the engine kept prompt + response within the policy's context, so nothing is cut here
    ResponseBatch batch = ResponseBatch.of(prompts, responses,
        policy.model().config().contextLength(), padId);
    // log π is recomputed through the same training forward as log π_ref rather than taken from
    // the behaviour log-probs: the decoder's KV-cache path rounds differently, and one path for
    // both makes a policy against itself exactly 0 instead of float noise
    double[] logp = logprobs(policy, batch, temperature);
    double[] logpRef = logprobs(reference, batch, temperature);
    double[] difference = new double[logp.length]; // (N); 0 on rows without a target
    for (int i = 0; i < logp.length; i++) {
      difference[i] = logp[i] - logpRef[i];
    }
    return batch.perSequence(difference, false);
  }

  private static double[] logprobs(PolicySnapshot model, ResponseBatch batch, double temperature) {
    return PolicyEvaluation.logprobsOf(model.model(), model.params(), batch.tokens(),
        batch.targets(), temperature);
  }
}
