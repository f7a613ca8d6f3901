package org.rlhf4j.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntSupplier;
import org.rlhf4j.actors.ppo.PpoPipeline;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.async.FreshLearner;
import org.rlhf4j.learner.async.PpoLearner;
import org.rlhf4j.learner.async.RolloutMessages;
import org.rlhf4j.learner.async.RolloutScoring;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.protocol.pb.Rollout;
import org.rlhf4j.protocol.pb.ScoredRollout;
import org.rlhf4j.rollout.GenerationEngine;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.Response;
import org.rlhf4j.rollout.SamplingSettings;

/**
 * Times each phase of one synchronous PPO iteration (sample a batch, score it, one update round)
 * at 1 and 2 tensor threads per model copy (a separate critic is one, on its own thread), and sampling also as two 1-thread workers on half a batch each; the
 * fastest setting of each phase is the synchronous baseline's. Each timing is the best of two
 * after a warm-up.
 */
public final class PhaseThreads {
  /** The fastest settings and every timing, in seconds. */
  public record Choice(int workers, PpoPipeline.Threads threads, Map<String, Double> seconds) {
    /** The timings and choice as JSON. */
    public String json() {
      StringBuilder b = new StringBuilder("{");
      seconds.forEach((k, v) -> b.append(String.format(Locale.ROOT, "\"%s\": %.3f, ", k, v)));
      return b.append(String.format(Locale.ROOT, "\"chosen\": {\"workers\": %d, \"worker\": %d, "
          + "\"scorer\": %d, \"learner\": %d}}", workers, threads.worker(), threads.scorer(),
          threads.learner())).toString();
    }
  }

  private PhaseThreads() {}

  /** Measures on {@code spec}'s models and first prompts. */
  public static Choice measure(PpoPipeline.Spec spec) {
    RlhfConfig c = spec.config();
    int copies = c.ppo().advantage().equals("gae") ? 1 : c.ppo().groupSize();
    List<int[]> prompts = new ArrayList<>();
    for (int i = 0; prompts.size() < c.ppo().batchSize(); i++) {
      for (int k = 0; k < copies; k++) {
        prompts.add(spec.prompts().get(i % spec.prompts().size()));
      }
    }
    SamplingSettings sampling = spec.sampling();
    PolicySnapshot policy = new PolicySnapshot(spec.policyModel(), spec.initialPolicy(), 0);
    GenerationEngine engine = new GenerationEngine(c.run().seed(), spec.padId());
    List<Response> responses = engine.generate(policy, prompts, sampling);
    List<Rollout> rollouts = new ArrayList<>();
    for (int i = 0; i < responses.size(); i++) {
      rollouts.add(RolloutMessages.of(responses.get(i), i, i / copies, "probe", i));
    }
    RolloutScoring scoring = new RolloutScoring(spec.rewardModel(), spec.reward(),
        spec.policyModel(), spec.initialPolicy(), c.ppo().temperature(), spec.padId());
    List<ScoredRollout> scored = scoring.score(rollouts);

    Map<String, Double> seconds = new LinkedHashMap<>();
    for (int t = 1; t <= 2; t++) {
      int threads = t;
      seconds.put("generate_" + t + "t", best(threads, () -> {
        engine.reseed(c.run().seed());
        return engine.generate(policy, prompts, sampling).size();
      }));
    }
    seconds.put("generate_2x1t", twoWorkers(policy, prompts, sampling, spec.padId(),
        c.run().seed()));
    for (int t = 1; t <= 2; t++) {
      seconds.put("score_" + t + "t", best(t, () -> scoring.score(rollouts).size()));
    }
    for (int t = 1; t <= 2; t++) {
      int threads = t;
      seconds.put("learn_" + t + "t", best(t, () -> {
        PpoLearner learner = FreshLearner.create(c, spec.policyModel(), spec.initialPolicy(),
            spec.criticModel(), spec.initialCritic(), spec.padId());
        learner.useThreads(threads);
        scored.forEach(learner::offer);
        return (int) learner.version();
      }));
    }
    TensorThreads.bindCurrentThread(1);
    double oneEngine = Math.min(seconds.get("generate_1t"), seconds.get("generate_2t"));
    boolean twoWorkers = seconds.get("generate_2x1t") < oneEngine;
    int workerThreads = seconds.get("generate_2t") < seconds.get("generate_1t") ? 2 : 1;
    return new Choice(twoWorkers ? 2 : 1, new PpoPipeline.Threads(
        twoWorkers ? 1 : workerThreads,
        seconds.get("score_2t") < seconds.get("score_1t") ? 2 : 1,
        seconds.get("learn_2t") < seconds.get("learn_1t") ? 2 : 1), seconds);
  }

  private static double best(int threads, IntSupplier work) {
    TensorThreads.bindCurrentThread(threads);
    work.getAsInt(); // warm-up
    double best = Double.POSITIVE_INFINITY;
    for (int rep = 0; rep < 2; rep++) {
      long start = System.nanoTime();
      work.getAsInt();
      best = Math.min(best, (System.nanoTime() - start) / 1e9);
    }
    return best;
  }

  private static double twoWorkers(PolicySnapshot policy, List<int[]> prompts,
      SamplingSettings sampling, int padId, long seed) {
    int half = prompts.size() / 2;
    List<List<int[]>> parts = List.of(prompts.subList(0, half),
        prompts.subList(half, prompts.size()));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      double best = Double.POSITIVE_INFINITY;
      for (int rep = 0; rep < 3; rep++) { // the first is the warm-up
        long start = System.nanoTime();
        List<Future<Integer>> done = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
          List<int[]> part = parts.get(w);
          long s = seed + w;
          done.add(pool.submit(() -> {
            TensorThreads.bindCurrentThread(1);
            return new GenerationEngine(s, padId).generate(policy, part, sampling).size();
          }));
        }
        for (Future<Integer> f : done) {
          f.get();
        }
        if (rep > 0) {
          best = Math.min(best, (System.nanoTime() - start) / 1e9);
        }
      }
      return best;
    } catch (Exception e) {
      throw new IllegalStateException("timing two workers failed", e);
    } finally {
      pool.shutdownNow();
    }
  }
}
