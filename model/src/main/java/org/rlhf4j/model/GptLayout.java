package org.rlhf4j.model;

import java.util.List;
import java.util.Set;
import org.rlhf4j.config.LoraConfig;
import org.rlhf4j.config.ModelConfig;

/** GPT-2's parameter names and shapes (Hugging Face names without the {@code transformer.} prefix). */
public final class GptLayout {
  private GptLayout() {}

  /** A block's linear layer (Conv1D, weight stored (in, out)) by its path inside the block. */
  public record Linear(String path, int inFactor, int outFactor) {
    /** Input width for a model of width {@code d}. */
    public long in(long d) {
      return inFactor * d;
    }

    /** Output width for a model of width {@code d}. */
    public long out(long d) {
      return outFactor * d;
    }
  }

  /** Every block's linear layers, in the order a block runs them. */
  public static final List<Linear> LINEARS = List.of(new Linear("attn.c_attn", 1, 3),
      new Linear("attn.c_proj", 1, 1), new Linear("mlp.c_fc", 1, 4),
      new Linear("mlp.c_proj", 4, 1));

  /**
   * {@link #of(ModelConfig, Set)} followed by {@code lora}'s adapters, when on: for each targeted
   * linear layer of each block, {@code ….lora_A.weight (r, in)} and {@code ….lora_B.weight
   * (out, r)}, PEFT's names and shapes. The heads and adapters, the tensors LoRA trains, so end
   * the layout as one contiguous run.
   */
  public static ParameterLayout of(ModelConfig c, Set<Head> heads, LoraConfig lora) {
    ParameterLayout.Builder b = builder(c, heads);
    if (lora != null && lora.enabled()) {
      for (int l = 0; l < c.layers(); l++) {
        for (Linear linear : LINEARS) {
          if (lora.targets(linear.path())) {
            String module = block(l) + linear.path();
            b.add(loraA(module), lora.rank(), linear.in(c.dModel()));
            b.add(loraB(module), linear.out(c.dModel()), lora.rank());
          }
        }
      }
    }
    return b.build();
  }

  /** The down-projection A of the adapter on {@code module} (e.g. {@code h.0.attn.c_attn}). */
  public static String loraA(String module) {
    return module + ".lora_A.weight";
  }

  /** The up-projection B of the adapter on {@code module}. */
  public static String loraB(String module) {
    return module + ".lora_B.weight";
  }

  /** Whether {@code name} is an adapter tensor. */
  public static boolean isAdapter(String name) {
    return name.endsWith(".lora_A.weight") || name.endsWith(".lora_B.weight");
  }

  /**
   * The first tensor LoRA trains (the first head's, else the first adapter's), or null when the
   * layout has no adapters and everything trains.
   */
  public static String firstTrainable(ParameterLayout layout) {
    if (layout.names(GptLayout::isAdapter).isEmpty()) {
      return null;
    }
    return layout.specs().stream().map(ParameterSpec::name)
        .filter(n -> isAdapter(n) || isHead(n)).findFirst().orElseThrow();
  }

  private static boolean isHead(String name) {
    for (Head h : Head.values()) {
      if (name.equals(h.weightName()) || name.equals(h.biasName())) {
        return true;
      }
    }
    return false;
  }

  /**
   * The layout of a GPT-2 body plus {@code heads}. Linear weights are stored (in, out) as GPT-2's
   * Conv1D stores them, so checkpoints import without transposes; the LM head is tied to {@code wte}.
   */
  public static ParameterLayout of(ModelConfig c, Set<Head> heads) {
    return builder(c, heads).build();
  }

  private static ParameterLayout.Builder builder(ModelConfig c, Set<Head> heads) {
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
    return b;
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
