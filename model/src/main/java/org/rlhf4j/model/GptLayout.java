package org.rlhf4j.model;

import java.util.Set;
import org.rlhf4j.config.ModelConfig;

/** GPT-2's parameter names and shapes (Hugging Face names without the {@code transformer.} prefix). */
public final class GptLayout {
  private GptLayout() {}

  /**
   * The layout of a GPT-2 body plus {@code heads}. Linear weights are stored (in, out) as GPT-2's
   * Conv1D stores them, so checkpoints import without transposes; the LM head is tied to {@code wte}.
   */
  public static ParameterLayout of(ModelConfig c, Set<Head> heads) {
    long d = c.dModel();
    ParameterLayout.Builder b = ParameterLayout.builder()
        .add("wte.weight", c.vocabSize(), d)
        .add("wpe.weight", c.contextLength(), d);
    for (int l = 0; l < c.layers(); l++) {
      String h = block(l);
      b.add(h + "ln_1.weight", d).add(h + "ln_1.bias", d)
          .add(h + "attn.c_attn.weight", d, 3 * d).add(h + "attn.c_attn.bias", 3 * d)
          .add(h + "attn.c_proj.weight", d, d).add(h + "attn.c_proj.bias", d)
          .add(h + "ln_2.weight", d).add(h + "ln_2.bias", d)
          .add(h + "mlp.c_fc.weight", d, 4 * d).add(h + "mlp.c_fc.bias", 4 * d)
          .add(h + "mlp.c_proj.weight", 4 * d, d).add(h + "mlp.c_proj.bias", d);
    }
    b.add("ln_f.weight", d).add("ln_f.bias", d);
    for (Head head : Head.values()) {
      if (heads.contains(head)) {
        b.add(head.weightName(), 1, d);
        if (head.biasName() != null) {
          b.add(head.biasName(), 1);
        }
      }
    }
    return b.build();
  }

  /** The name prefix of block {@code l}: {@code h.l.}. */
  public static String block(int l) {
    return "h." + l + ".";
  }

  /** Whether AdamW decays this parameter: matrices and embeddings yes, biases and LayerNorm no. */
  public static boolean decays(ParameterSpec spec) {
    return spec.shape().length >= 2;
  }
}
