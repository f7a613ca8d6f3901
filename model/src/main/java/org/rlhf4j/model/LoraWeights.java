package org.rlhf4j.model;

import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.config.LoraConfig;
import org.rlhf4j.config.ModelConfig;

/** Folding LoRA adapters into the layers they adapt. */
public final class LoraWeights {
  private LoraWeights() {}

  /**
   * {@code p} (the layout of {@link GptLayout#of(ModelConfig, Set, LoraConfig)}) with every
   * adapter folded into its layer, {@code W + (α/r)·Aᵀ·Bᵀ} in Conv1D's (in, out) layout, as a new
   * store without adapters. With {@code lora} null, a copy of {@code p}.
   */
  public static ParameterStore merge(ModelConfig config, Set<Head> heads, LoraConfig lora,
      ParameterStore p) {
    ParameterStore out = ParameterStore.zeros(GptLayout.of(config, heads), p.dtype());
    for (ParameterSpec s : out.layout().specs()) {
      out.get(s.name()).assign(p.get(s.name()));
    }
    if (lora == null || !lora.enabled()) {
      return out;
    }
    for (int l = 0; l < config.layers(); l++) {
      for (GptLayout.Linear linear : GptLayout.LINEARS) {
        if (lora.targets(linear.path())) {
          String module = GptLayout.block(l) + linear.path();
          INDArray a = p.get(GptLayout.loraA(module)); // (r, in)
          INDArray b = p.get(GptLayout.loraB(module)); // (out, r)
          out.get(module + ".weight").addi(a.transpose().mmul(b.transpose()).muli(lora.scale()));
        }
      }
    }
    return out;
  }
}
