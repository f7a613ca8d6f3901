package org.rlhf4j.bench;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.model.kernels.Kernels;
import org.rlhf4j.rollout.GenerationEngine;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;

/**
 * Generation throughput under the peer's protocol: batch 16, a 16-token random prompt, 64 new
 * tokens by multinomial sampling with a KV cache (no stop token), float32; one warm-up run, then
 * at least {@code seconds} and two runs.
 */
public final class GenerateThroughput {
  static final int BATCH = 16;
  static final int PROMPT = 16;
  static final int NEW_TOKENS = 64;

  /**
   * One measurement; when profiled, also the milliseconds per batch (one prompt step and 63
   * decode steps) spent in each kernel, else an empty map.
   */
  public record Result(PeerShape shape, long params, int threads, double tokensPerSecond,
      double secondsPerBatch, Map<String, Double> kernelMillisPerBatch) {}

  private GenerateThroughput() {}

  /**
   * With {@code profile}, every kernel call is timed: that costs a little at S, whose decode
   * kernels take microseconds, so the tokens/s of a profiled run are not the bench's figure.
   */
  public static Result run(PeerShape shape, int threads, double seconds, Kernels kernels,
      boolean profile) {
    TensorThreads.bindCurrentThread(threads);
    KernelProfile timed = profile ? new KernelProfile(kernels) : null;
    Gpt gpt = new Gpt(shape.model(), EnumSet.noneOf(Head.class), profile ? timed : kernels);
    PolicySnapshot policy = new PolicySnapshot(gpt, gpt.initialParameters(0, DataType.FLOAT), 0);
    SplittableRandom rng = new SplittableRandom(0);
    List<int[]> prompts = new ArrayList<>();
    for (int b = 0; b < BATCH; b++) {
      int[] p = new int[PROMPT];
      for (int i = 0; i < PROMPT; i++) {
        p[i] = rng.nextInt(shape.model().vocabSize());
      }
      prompts.add(p);
    }
    GenerationEngine engine = new GenerationEngine(0, 0);
    SamplingSettings sampling = SamplingSettings.multinomial(NEW_TOKENS);
    engine.generate(policy, prompts, sampling);
    if (profile) {
      timed.reset();
    }
    long start = System.nanoTime();
    int runs = 0;
    while (runs < 2 || System.nanoTime() - start < seconds * 1e9) {
      engine.generate(policy, prompts, sampling);
      runs++;
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    Map<String, Double> perBatch = new LinkedHashMap<>();
    if (profile) {
      for (Map.Entry<String, long[]> e : timed.totals().entrySet()) {
        perBatch.put(e.getKey(), e.getValue()[0] / 1e6 / runs);
      }
    }
    return new Result(shape, gpt.layout().totalSize(), threads,
        (double) runs * BATCH * NEW_TOKENS / elapsed, elapsed / runs, perBatch);
  }
}
