package org.rlhf4j.model.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterLayout;
import org.rlhf4j.model.ParameterSpec;
import org.rlhf4j.model.ParameterStore;

/**
 * Moves weights between a {@link ParameterStore} and a GPT-2 safetensors file. Names match
 * Hugging Face's; GPT-2's Conv1D already stores linear weights (in, out) as the store does, so no
 * tensor is transposed.
 */
public final class Gpt2Weights {
  private static final String PREFIX = "transformer.";

  private Gpt2Weights() {}

  /** Writes {@code params} under GPT-2's names (no prefix, as the official files do). */
  public static void write(Path file, ParameterStore params, Map<String, String> metadata)
      throws IOException {
    write(file, params, metadata, false);
  }

  /**
   * Writes {@code params} under GPT-2's names; with {@code prefixBody} the transformer's tensors
   * carry {@code transformer.} and the heads do not, as a model with a head saves them (Hugging
   * Face then loads the heads too, not only the body).
   */
  public static void write(Path file, ParameterStore params, Map<String, String> metadata,
      boolean prefixBody) throws IOException {
    Set<String> heads = new HashSet<>();
    for (Head h : Head.values()) {
      heads.add(h.weightName());
      if (h.biasName() != null) {
        heads.add(h.biasName());
      }
    }
    LinkedHashMap<String, INDArray> tensors = new LinkedHashMap<>();
    for (ParameterSpec s : params.layout().specs()) {
      boolean body = !heads.contains(s.name());
      tensors.put(prefixBody && body ? PREFIX + s.name() : s.name(), params.get(s.name()));
    }
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    meta.putAll(metadata);
    DType dtype = params.dtype() == DataType.DOUBLE ? DType.F64 : DType.F32;
    SafeTensorsWriter.write(file, tensors, meta, dtype);
  }

  /**
   * Reads {@code file} into a new store of {@code layout}: names may carry the
   * {@code transformer.} prefix; the attention-mask buffers older exports contain are skipped; an
   * {@code lm_head.weight} must equal {@code wte} (GPT-2 ties them). Every tensor of the layout
   * must be present with its exact shape, and nothing else may be.
   */
  public static ParameterStore read(Path file, ParameterLayout layout, DataType dtype)
      throws IOException {
    SafeTensorsFile loaded = SafeTensorsReader.read(file, dtype);
    Map<String, INDArray> byName = new LinkedHashMap<>();
    INDArray lmHead = null;
    for (Map.Entry<String, INDArray> e : loaded.tensors().entrySet()) {
      String name = e.getKey().startsWith(PREFIX) ? e.getKey().substring(PREFIX.length()) : e.getKey();
      if (name.matches("h\\.\\d+\\.attn\\.(masked_)?bias")) {
        continue; // the causal mask as a buffer, not a parameter
      }
      if (name.equals("lm_head.weight")) {
        lmHead = e.getValue();
        continue;
      }
      if (!layout.contains(name)) {
        throw new CheckpointFormatException(file, e.getKey(), "not a parameter of this model "
            + "(expected GPT-2 names such as h.0.attn.c_attn.weight)");
      }
      if (byName.put(name, e.getValue()) != null) {
        throw new CheckpointFormatException(file, name, "appears both with and without the prefix");
      }
    }
    TreeSet<String> missing = new TreeSet<>();
    ParameterStore store = ParameterStore.zeros(layout, dtype);
    for (ParameterSpec s : layout.specs()) {
      INDArray t = byName.get(s.name());
      if (t == null) {
        missing.add(s.name());
        continue;
      }
      if (!Arrays.equals(t.shape(), s.shape())) {
        throw new CheckpointFormatException(file, s.name(), "shape " + Arrays.toString(t.shape())
            + ", expected " + Arrays.toString(s.shape()));
      }
      store.get(s.name()).assign(t);
    }
    if (!missing.isEmpty()) {
      throw new CheckpointFormatException(file, "missing tensors " + missing);
    }
    if (lmHead != null && !lmHead.equals(store.get("wte.weight"))) {
      throw new CheckpointFormatException(file, "lm_head.weight",
          "differs from wte.weight; only a tied LM head is supported");
    }
    return store;
  }
}
