package org.rlhf4j.bench;

import java.util.Locale;
import org.rlhf4j.config.ModelConfig;

/** The model and batch shapes of the PyTorch peer ({@code torch_gpt_bench.py}), by name. */
public enum PeerShape {
  S(new ModelConfig(256, 128, 128, 2, 4, 1e-5), 16, 128),
  M(new ModelConfig(8192, 256, 512, 8, 8, 1e-5), 8, 256),
  G(new ModelConfig(50257, 1024, 768, 12, 12, 1e-5), 4, 256);

  private final ModelConfig model;
  private final int trainBatch;
  private final int trainLength;

  PeerShape(ModelConfig model, int trainBatch, int trainLength) {
    this.model = model;
    this.trainBatch = trainBatch;
    this.trainLength = trainLength;
  }

  public ModelConfig model() {
    return model;
  }

  public int trainBatch() {
    return trainBatch;
  }

  public int trainLength() {
    return trainLength;
  }

  /** Parses S, M or G (any case). */
  public static PeerShape parse(String name) {
    try {
      return valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown config '" + name + "', expected S, M or G");
    }
  }
}
