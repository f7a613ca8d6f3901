package org.rlhf4j.bench;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.LoraConfig;
import org.rlhf4j.model.AdamW;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.LanguageModelLoss;
import org.rlhf4j.model.RewardPooling;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.model.TokenBatch;
import org.rlhf4j.model.kernels.Kernels;

/**
 * Training throughput under the peer's protocol: random tokens (B, T + 1), next-token
 * cross-entropy, forward + backward + AdamW (lr 1e-4, PyTorch's AdamW defaults), float32; two
 * warm-up steps, then at least {@code seconds} and three steps, or a fixed number of steps with
 * the resident memory after each. With LoRA, only the adapters
 * train (PEFT's c_attn target, α = r) and AdamW's moments cover only them.
 */
public final class TrainThroughput {
  /**
   * One measurement; when profiled, also the milliseconds per step in each kernel and the ND4J
   * ops a step dispatches, else an empty map and 0.
   */
  public record Result(PeerShape shape, long params, long trainableParams, int threads,
      double tokensPerSecond, double secondsPerStep, Map<String, Double> kernelMillisPerStep,
      long opsPerStep, double microsPerTinyOp, ResidentMemory.Trace resident) {
    /** Bytes of AdamW's two float32 moments. */
    public long optimizerBytes() {
      return 2 * 4 * trainableParams;
    }
  }

  private TrainThroughput() {}

  /**
   * With {@code loraRank} > 0, LoRA of that rank (0 trains every parameter); with
   * {@code recompute}, passes compute activations again ({@link Gpt#recomputing}). With
   * {@code steps} > 0 it measures exactly that many steps instead of {@code seconds}, reading
   * resident memory after each ({@link Result#resident()}, else null). With {@code profile}
   * every kernel call is timed, and the step is no longer the one training runs: the timing
   * wrapper changes what C2 inlines (at M, vectors in its GELU were boxed, 100 MB/s;
   * BENCHMARKS.md, session 26), so a profiled run's tokens/s are not the bench's figure.
   */
  public static Result run(PeerShape shape, int threads, double seconds, Kernels kernels,
      int loraRank, boolean recompute, int steps, boolean profile,
      ResidentMemory.Progress progress) {
    TensorThreads.bindCurrentThread(threads);
    KernelProfile timed = profile ? new KernelProfile(kernels) : null;
    Kernels used = profile ? timed : kernels;
    LoraConfig lora = loraRank == 0 ? null
        : new LoraConfig(true, loraRank, loraRank, 0.0, java.util.List.of("c_attn"));
    Gpt gpt = new Gpt(shape.model(), EnumSet.noneOf(Head.class), used, RewardPooling.LAST,
        lora).recomputing(recompute);
    ParameterStore params = gpt.initialParameters(0, DataType.FLOAT);
    ParameterStore trainable = gpt.trainable(params);
    Runnable step = step(gpt, params, shape.trainBatch(), shape.trainLength(), used);
    step.run();
    step.run();
    if (profile) {
      timed.reset();
    }
    long start = System.nanoTime();
    ResidentMemory.Trace resident = null;
    if (steps > 0) {
      resident = ResidentMemory.trace(step, steps, progress);
    } else {
      while (steps < 3 || System.nanoTime() - start < seconds * 1e9) {
        step.run();
        steps++;
      }
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    Map<String, Double> perStep = new LinkedHashMap<>();
    long ops = 0;
    double microsPerOp = 0;
    if (profile) {
      for (Map.Entry<String, long[]> e : timed.totals().entrySet()) {
        perStep.put(e.getKey(), e.getValue()[0] / 1e6 / steps);
      }
      ops = OpCount.of(step);
      microsPerOp = OpCount.microsPerTinyOp();
    }
    return new Result(shape, params.layout().totalSize(), trainable.layout().totalSize(), threads,
        (double) steps * shape.trainBatch() * shape.trainLength() / elapsed,
        elapsed / steps, perStep, ops, microsPerOp, resident);
  }

  /**
   * One training step of {@code gpt} on a fixed batch of {@code b} random sequences of
   * {@code t} tokens: zeroed gradients, next-token cross-entropy, backward, AdamW on the
   * trainable parameters.
   */
  static Runnable step(Gpt gpt, ParameterStore params, int b, int t, Kernels kernels) {
    ParameterStore trainable = gpt.trainable(params);
    ParameterStore grads = trainable.zerosLike();
    AdamW adamw = new AdamW(trainable, new AdamW.Settings(0.9, 0.999, 1e-8, 0.01), kernels);
    int vocab = gpt.config().vocabSize();
    SplittableRandom rng = new SplittableRandom(0);
    int[] ids = new int[b * t];
    int[] targets = new int[b * t];
    for (int r = 0; r < b; r++) {
      int previous = rng.nextInt(vocab);
      for (int i = 0; i < t; i++) {
        ids[r * t + i] = previous;
        previous = rng.nextInt(vocab);
        targets[r * t + i] = previous;
      }
    }
    int[] mask = new int[b * t];
    java.util.Arrays.fill(mask, 1);
    TokenBatch batch = new TokenBatch(b, t, ids, mask);
    return () -> {
      grads.zero();
      try (LanguageModelLoss loss = LanguageModelLoss.mean(gpt, params, batch, targets)) {
        loss.backward(grads);
      }
      adamw.update(trainable, grads, 1e-4);
    };
  }
}
