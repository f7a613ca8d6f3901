package org.rlhf4j.bench;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.model.AdamW;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.LanguageModelLoss;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.model.TokenBatch;
import org.rlhf4j.model.kernels.Kernels;

/**
 * Training throughput under the peer's protocol: random tokens (B, T + 1), next-token
 * cross-entropy, forward + backward + AdamW (lr 1e-4, PyTorch's AdamW defaults), float32; two
 * warm-up steps, then at least {@code seconds} and three steps.
 */
public final class TrainThroughput {
  /** One measurement, with per-kernel milliseconds per step when profiled. */
  public record Result(PeerShape shape, long params, int threads, double tokensPerSecond,
      double secondsPerStep, Map<String, Double> kernelMillisPerStep, long opsPerStep,
      double microsPerTinyOp) {}

  private TrainThroughput() {}

  public static Result run(PeerShape shape, int threads, double seconds, Kernels kernels) {
    TensorThreads.bindCurrentThread(threads);
    KernelProfile profile = new KernelProfile(kernels);
    Gpt gpt = new Gpt(shape.model(), EnumSet.noneOf(Head.class), profile);
    ParameterStore params = gpt.initialParameters(0, DataType.FLOAT);
    ParameterStore grads = params.zerosLike();
    AdamW adamw = new AdamW(params, new AdamW.Settings(0.9, 0.999, 1e-8, 0.01), profile);
    int b = shape.trainBatch();
    int t = shape.trainLength();
    SplittableRandom rng = new SplittableRandom(0);
    int[] ids = new int[b * t];
    int[] targets = new int[b * t];
    for (int r = 0; r < b; r++) {
      int previous = rng.nextInt(shape.model().vocabSize());
      for (int i = 0; i < t; i++) {
        ids[r * t + i] = previous;
        previous = rng.nextInt(shape.model().vocabSize());
        targets[r * t + i] = previous;
      }
    }
    int[] mask = new int[b * t];
    java.util.Arrays.fill(mask, 1);
    TokenBatch batch = new TokenBatch(b, t, ids, mask);
    Runnable step = () -> {
      grads.zero();
      LanguageModelLoss.mean(gpt, params, batch, targets).backward(grads);
      adamw.update(params, grads, 1e-4);
    };
    step.run();
    step.run();
    profile.reset();
    long start = System.nanoTime();
    int steps = 0;
    while (steps < 3 || System.nanoTime() - start < seconds * 1e9) {
      step.run();
      steps++;
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    Map<String, Double> perStep = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : profile.totals().entrySet()) {
      perStep.put(e.getKey(), e.getValue()[0] / 1e6 / steps);
    }
    long ops = OpCount.of(step);
    return new Result(shape, params.layout().totalSize(), threads, (double) steps * b * t / elapsed,
        elapsed / steps, perStep, ops, OpCount.microsPerTinyOp());
  }
}
