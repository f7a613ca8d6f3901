package org.rlhf4j.model;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.rlhf4j.config.ModelConfig;

/**
 * GPT-2's initialisation, seeded: weights N(0, 0.02), residual projections N(0, 0.02/√(2L)),
 * biases 0, LayerNorm gains 1.
 */
public final class ParameterInit {
  private static final int INIT_CHUNK = 1 << 16;

  private ParameterInit() {}

  /** Fresh parameters for {@code layout} of a model shaped by {@code config}. */
  public static ParameterStore gpt2(ParameterLayout layout, ModelConfig config, long seed,
      DataType dtype) {
    ParameterStore store = ParameterStore.zeros(layout, dtype);
    SplittableRandom rng = new SplittableRandom(seed);
    double residualStd = 0.02 / Math.sqrt(2.0 * config.layers());
    for (ParameterSpec spec : layout.specs()) {
      String name = spec.name();
      INDArray view = store.get(name);
      if (GptLayout.isAdapter(name)) {
        initAdapter(store, spec, rng, dtype);
      } else if (name.endsWith("ln_1.weight") || name.endsWith("ln_2.weight")
          || name.equals("ln_f.weight")) {
        view.assign(1.0);
      } else if (spec.shape().length >= 2) {
        double std = name.endsWith("c_proj.weight") ? residualStd : 0.02;
        fillGaussian(store.flat(), spec, rng, std);
      }
    }
    return store;
  }

  /**
   * PEFT's adapter start: A from kaiming_uniform(a = √5), that is U(−1/√in, 1/√in); B zero, so
   * the adapted model starts equal to its base.
   */
  static void initAdapter(ParameterStore store, ParameterSpec spec, SplittableRandom rng,
      DataType dtype) {
    if (!spec.name().endsWith(".lora_A.weight")) {
      store.get(spec.name()).assign(0);
      return;
    }
    double bound = 1.0 / Math.sqrt(spec.shape()[1]);
    float[] values = new float[Math.toIntExact(spec.size())];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) ((2 * rng.nextDouble() - 1) * bound);
    }
    store.get(spec.name()).assign(Nd4j.createFromArray(values).castTo(dtype)
        .reshape(spec.shape()));
  }

  /** Fresh adapters (A seeded, B zero) for every adapter tensor of {@code store}. */
  public static void adapters(ParameterStore store, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (ParameterSpec spec : store.layout().specs()) {
      if (GptLayout.isAdapter(spec.name())) {
        initAdapter(store, spec, rng, store.dtype());
      }
    }
  }

  /**
   * Writes N(0, std²) draws over {@code spec}'s elements of {@code flat}, in order, a bounded
   * chunk at a time: one heap array per tensor would leave the model's size in heap regions that
   * G1 keeps resident after they die (M's 118 MB, G's 498 MB).
   */
  private static void fillGaussian(INDArray flat, ParameterSpec spec, SplittableRandom rng,
      double std) {
    float[] chunk = new float[(int) Math.min(spec.size(), INIT_CHUNK)];
    for (long done = 0; done < spec.size(); done += chunk.length) {
      int n = (int) Math.min(chunk.length, spec.size() - done);
      for (int i = 0; i < n; i++) {
        chunk[i] = (float) (normal(rng) * std);
      }
      NativeArrays.write(flat, spec.offset() + done,
          n == chunk.length ? chunk : Arrays.copyOf(chunk, n));
    }
  }

  /** A standard normal by Box-Muller (SplittableRandom has no nextGaussian on Java 17). */
  private static double normal(SplittableRandom rng) {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2 * Math.PI * u2);
  }
}
