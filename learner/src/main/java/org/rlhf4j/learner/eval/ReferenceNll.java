package org.rlhf4j.learner.eval;

import java.util.ArrayList;
import java.util.List;
import org.rlhf4j.learner.ResponseBatch;
import org.rlhf4j.model.PolicyEvaluation;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.Response;

/**
 * How far samples are from the language a reference model learned: its mean negative
 * log-likelihood per response token, {@code −Σ log π_ref(y_t) / Σ |y|} over all samples, at
 * temperature 1 (the model itself, whatever the samples were drawn with). Every response token the
 * policy wrote counts, its end-of-text included. The reference is the SFT model in the demo, so
 * the measure is reported as {@code sft_nll}; a policy that drifts into text the SFT model finds
 * unlikely (repeated words, bytes that are no text) raises it.
 */
public final class ReferenceNll {
  private ReferenceNll() {}

  /** Each sample's summed NLL {@code −Σ_t log π_ref(y_t)}, in sample order. */
  public static double[] perSample(PolicySamples samples, PolicySnapshot reference) {
    return sumsAndLengths(samples, reference)[0];
  }

  /**
   * The NLL per token over all samples with {@link Statistics#ratioInterval}'s 95% interval, each
   * sample a cluster (its tokens are not independent draws).
   */
  public static MeanInterval estimate(PolicySamples samples, PolicySnapshot reference) {
    double[][] sl = sumsAndLengths(samples, reference);
    return Statistics.ratioInterval(sl[0], sl[1]);
  }

  private static double[][] sumsAndLengths(PolicySamples samples, PolicySnapshot reference) {
    int vocab = samples.policy().model().config().vocabSize();
    if (reference.model().config().vocabSize() != vocab) {
      throw new IllegalArgumentException("the reference has a vocabulary of "
          + reference.model().config().vocabSize() + " tokens, the policy " + vocab);
    }
    List<PolicySamples.Sample> all = samples.samples();
    double[] nll = new double[all.size()];
    double[] lengths = new double[all.size()];
    int batchSize = samples.plan().batchSize();
    for (int from = 0; from < all.size(); from += batchSize) {
      int to = Math.min(all.size(), from + batchSize);
      List<int[]> prompts = new ArrayList<>(to - from);
      List<int[]> responses = new ArrayList<>(to - from);
      for (PolicySamples.Sample sample : all.subList(from, to)) {
        Response r = sample.response();
        prompts.add(r.promptIds());
        responses.add(r.responseIds());
      }
      // the engine kept prompt + response within the policy's context, so nothing is cut here
      ResponseBatch batch = ResponseBatch.of(prompts, responses,
          reference.model().config().contextLength(), samples.padId());
      double[] logp = PolicyEvaluation.logprobsOf(reference.model(), reference.params(),
          batch.tokens(), batch.targets(), 1.0); // (N); 0 on rows without a target
      double[] sums = batch.perSequence(logp, false);
      for (int i = 0; i < sums.length; i++) {
        nll[from + i] = -sums[i];
        lengths[from + i] = batch.responseLength(i);
      }
    }
    return new double[][] {nll, lengths};
  }
}
