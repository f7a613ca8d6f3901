package org.rlhf4j.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.Output;
import org.rlhf4j.model.TokenBatch;
import org.rlhf4j.model.kernels.Nd4jKernels;
import org.rlhf4j.model.tokenizer.Gpt2Tokenizer;

class HuggingFaceGpt2Test {
  private static final int VOCAB = 50257;
  private static final int D = 16;
  private static final int LAYERS = 2;
  private static final int HEADS = 2;
  private static final int CONTEXT = 32;

  @TempDir Path dir;

  /** Random GPT-2 weights by Hugging Face name, shapes as GPT-2's Conv1D stores them. */
  private static Map<String, long[]> shapes() {
    Map<String, long[]> s = new LinkedHashMap<>();
    s.put("wte.weight", new long[] {VOCAB, D});
    s.put("wpe.weight", new long[] {CONTEXT, D});
    for (int l = 0; l < LAYERS; l++) {
      String h = "h." + l + ".";
      s.put(h + "ln_1.weight", new long[] {D});
      s.put(h + "ln_1.bias", new long[] {D});
      s.put(h + "attn.c_attn.weight", new long[] {D, 3 * D});
      s.put(h + "attn.c_attn.bias", new long[] {3 * D});
      s.put(h + "attn.c_proj.weight", new long[] {D, D});
      s.put(h + "attn.c_proj.bias", new long[] {D});
      s.put(h + "ln_2.weight", new long[] {D});
      s.put(h + "ln_2.bias", new long[] {D});
      s.put(h + "mlp.c_fc.weight", new long[] {D, 4 * D});
      s.put(h + "mlp.c_fc.bias", new long[] {4 * D});
      s.put(h + "mlp.c_proj.weight", new long[] {4 * D, D});
      s.put(h + "mlp.c_proj.bias", new long[] {D});
    }
    s.put("ln_f.weight", new long[] {D});
    s.put("ln_f.bias", new long[] {D});
    return s;
  }

  private static Map<String, double[]> randomWeights(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, double[]> w = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : shapes().entrySet()) {
      long n = 1;
      for (long d : e.getValue()) {
        n *= d;
      }
      double[] v = new double[(int) n];
      boolean gain = e.getKey().contains("ln_") && e.getKey().endsWith("weight");
      for (int i = 0; i < v.length; i++) {
        v[i] = (gain ? 1 : 0) + (rng.nextDouble() * 2 - 1) * 0.2;
      }
      w.put(e.getKey(), v);
    }
    return w;
  }

  /** Writes a Hugging Face directory by hand, as transformers' save_pretrained lays it out. */
  private Path writeHfDirectory(Map<String, double[]> weights, boolean prefix, boolean extras)
      throws IOException {
    Path hf = Files.createDirectories(dir.resolve(prefix ? "prefixed" : "plain"));
    Files.writeString(hf.resolve("config.json"), """
        {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "activation_function": "gelu_new",
         "vocab_size": %d, "n_positions": %d, "n_embd": %d, "n_layer": %d, "n_head": %d,
         "layer_norm_epsilon": 1e-05, "n_inner": null, "resid_pdrop": 0.1}
        """.formatted(VOCAB, CONTEXT, D, LAYERS, HEADS));
    LinkedHashMap<String, INDArray> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, double[]> e : weights.entrySet()) {
      tensors.put((prefix ? "transformer." : "") + e.getKey(),
          Nd4j.createFromArray(e.getValue()).reshape(shapes().get(e.getKey())));
    }
    if (extras) {
      for (int l = 0; l < LAYERS; l++) {
        tensors.put("transformer.h." + l + ".attn.bias", Nd4j.ones(DataType.DOUBLE, 1, 1, CONTEXT,
            CONTEXT));
      }
      tensors.put("lm_head.weight", tensors.get("transformer.wte.weight"));
    }
    SafeTensorsWriter.write(hf.resolve("model.safetensors"), tensors, Map.of("format", "pt"),
        DType.F32);
    return hf;
  }

  @Test
  void importedGpt2GivesTheLogitsOfAnIndependentImplementation() throws IOException {
    Map<String, double[]> weights = randomWeights(1);
    // what the file holds is float32: the reference sees the same rounded values
    weights.replaceAll((k, v) -> {
      double[] r = new double[v.length];
      for (int i = 0; i < v.length; i++) {
        r[i] = (float) v[i];
      }
      return r;
    });
    Path hf = writeHfDirectory(weights, true, true);
    Gpt2Tokenizer.r50kBase().writeVocabAndMerges(hf);

    HuggingFaceGpt2.Imported imported = HuggingFaceGpt2.load(hf, DataType.DOUBLE);
    int[] ids = imported.tokenizer().orElseThrow().encode("Hello world, said GPT-2's tokenizer.");
    assertArrayEquals(Gpt2Tokenizer.r50kBase().encode("Hello world, said GPT-2's tokenizer."), ids);
    Gpt gpt = new Gpt(imported.config(), EnumSet.noneOf(Head.class), new Nd4jKernels());
    INDArray logits = gpt.forward(imported.params(), TokenBatch.rightPadded(List.of(ids), 0),
        EnumSet.of(Output.LOGITS)).logits();
    double[][] expected = new NaiveGpt2(weights, VOCAB, D, LAYERS, HEADS, 1e-5).logits(ids);
    double worst = 0;
    for (int t = 0; t < ids.length; t++) {
      for (int v = 0; v < VOCAB; v++) {
        worst = Math.max(worst, Math.abs(expected[t][v] - logits.getDouble(t, v)));
      }
    }
    System.out.printf("import vs independent GPT-2: max diff %.2e over %d logits%n", worst,
        ids.length * VOCAB);
    assertTrue(worst < 1e-9, "logits differ by " + worst);
  }

  @Test
  void namesWithoutThePrefixAndWithoutTokenizerFilesLoadToo() throws IOException {
    Map<String, double[]> weights = randomWeights(2);
    Path hf = writeHfDirectory(weights, false, false);
    HuggingFaceGpt2.Imported imported = HuggingFaceGpt2.load(hf, DataType.FLOAT);
    assertTrue(imported.tokenizer().isEmpty());
    assertEquals((float) weights.get("h.1.mlp.c_fc.weight")[5 * 4 * D + 3],
        imported.params().get("h.1.mlp.c_fc.weight").getFloat(5, 3), 0f);
  }

  @Test
  void exportThenImportRoundTripsWeightsAndTokenizer() throws IOException {
    Map<String, double[]> weights = randomWeights(3);
    HuggingFaceGpt2.Imported original = HuggingFaceGpt2.load(writeHfDirectory(weights, true, true),
        DataType.FLOAT);
    Path out = dir.resolve("exported");
    HuggingFaceGpt2.export(out, original.config(), original.params(),
        Optional.of(Gpt2Tokenizer.r50kBase()));
    HuggingFaceGpt2.Imported again = HuggingFaceGpt2.load(out, DataType.FLOAT);
    assertEquals(original.config(), again.config());
    assertEquals(original.params().sha256(), again.params().sha256());
    assertArrayEquals(new int[] {15496, 995}, again.tokenizer().orElseThrow().encode("Hello world"));
  }

  @Test
  void anUntiedLmHeadIsRefused() throws IOException {
    Path hf = writeHfDirectory(randomWeights(4), true, false);
    LinkedHashMap<String, INDArray> tensors = new LinkedHashMap<>(
        SafeTensorsReader.read(hf.resolve("model.safetensors")).tensors());
    tensors.put("lm_head.weight", Nd4j.zeros(DataType.FLOAT, VOCAB, D));
    SafeTensorsWriter.write(hf.resolve("model.safetensors"), tensors, Map.of(), DType.F32);
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class,
        () -> HuggingFaceGpt2.load(hf, DataType.FLOAT));
    assertTrue(e.getMessage().contains("lm_head.weight"), e.getMessage());
  }

  @Test
  void aMissingTensorAndAWrongShapeAreNamed() throws IOException {
    Path hf = writeHfDirectory(randomWeights(5), false, false);
    LinkedHashMap<String, INDArray> tensors = new LinkedHashMap<>(
        SafeTensorsReader.read(hf.resolve("model.safetensors")).tensors());
    tensors.remove("h.1.ln_2.bias");
    SafeTensorsWriter.write(hf.resolve("model.safetensors"), tensors, Map.of(), DType.F32);
    CheckpointFormatException missing = assertThrows(CheckpointFormatException.class,
        () -> HuggingFaceGpt2.load(hf, DataType.FLOAT));
    assertTrue(missing.getMessage().contains("missing tensors [h.1.ln_2.bias]"), missing.getMessage());

    tensors.put("h.1.ln_2.bias", Nd4j.zeros(DataType.FLOAT, D + 1));
    SafeTensorsWriter.write(hf.resolve("model.safetensors"), tensors, Map.of(), DType.F32);
    CheckpointFormatException shape = assertThrows(CheckpointFormatException.class,
        () -> HuggingFaceGpt2.load(hf, DataType.FLOAT));
    assertTrue(shape.getMessage().contains("h.1.ln_2.bias") && shape.getMessage().contains("[17]"),
        shape.getMessage());
  }

  @Test
  void aConfigWithAnotherActivationOrAMissingKeyIsRefused() throws IOException {
    Path hf = writeHfDirectory(randomWeights(6), false, false);
    Files.writeString(hf.resolve("config.json"), "{\"activation_function\": \"relu\", \"n_embd\": 16}");
    CheckpointFormatException activation = assertThrows(CheckpointFormatException.class,
        () -> HuggingFaceGpt2.load(hf, DataType.FLOAT));
    assertTrue(activation.getMessage().contains("relu"), activation.getMessage());
    Files.writeString(hf.resolve("config.json"), "{\"n_embd\": 16, \"n_layer\": 2, \"n_head\": 2,"
        + " \"n_positions\": 32}");
    CheckpointFormatException key = assertThrows(CheckpointFormatException.class,
        () -> HuggingFaceGpt2.load(hf, DataType.FLOAT));
    assertTrue(key.getMessage().contains("config.json: key \"vocab_size\": expected a positive"
        + " integer, got nothing"), key.getMessage());
  }
}
