package org.rlhf4j.model.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.GptLayout;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.tokenizer.Gpt2Tokenizer;
import org.rlhf4j.model.tokenizer.Tokenizer;

/**
 * Import and export of a Hugging Face GPT-2 directory: {@code config.json},
 * {@code model.safetensors} (names with or without {@code transformer.}) and the tokenizer as
 * {@code vocab.json} + {@code merges.txt} or {@code tokenizer.json}.
 */
public final class HuggingFaceGpt2 {
  /** What an import yields; the tokenizer is absent when the directory has no tokenizer files. */
  public record Imported(ModelConfig config, ParameterStore params, Optional<Tokenizer> tokenizer) {}

  private HuggingFaceGpt2() {}

  /** Loads the GPT-2 body (no extra heads) from {@code dir}. */
  public static Imported load(Path dir, DataType dtype) throws IOException {
    ModelConfig config = Gpt2ConfigJson.read(dir.resolve("config.json"));
    Path weights = dir.resolve("model.safetensors");
    if (!Files.exists(weights)) {
      throw new CheckpointFormatException(weights, "no such file (only safetensors weights are "
          + "read; convert pytorch_model.bin with Hugging Face's tools)");
    }
    ParameterStore params = Gpt2Weights.read(weights, GptLayout.of(config,
        EnumSet.noneOf(Head.class)), dtype);
    Optional<Tokenizer> tokenizer = Optional.empty();
    boolean hasFiles = Files.exists(dir.resolve("tokenizer.json"))
        || Files.exists(dir.resolve("vocab.json"));
    if (hasFiles) {
      Tokenizer t = Gpt2Tokenizer.fromHuggingFace(dir);
      if (t.vocabSize() > config.vocabSize()) {
        throw new CheckpointFormatException(dir.resolve("config.json"), "vocab_size "
            + config.vocabSize() + " is smaller than the tokenizer's " + t.vocabSize() + " tokens");
      }
      tokenizer = Optional.of(t);
    }
    return new Imported(config, params, tokenizer);
  }

  /**
   * Writes {@code config.json} and {@code model.safetensors} that Hugging Face's
   * {@code GPT2LMHeadModel.from_pretrained} loads (extra heads are kept under their own names),
   * and {@code vocab.json} + {@code merges.txt} for a GPT-2 tokenizer (the byte tokenizer has no
   * Hugging Face form, so it is described in the checkpoint metadata only).
   */
  public static void export(Path dir, ModelConfig config, ParameterStore params,
      Optional<Tokenizer> tokenizer) throws IOException {
    Files.createDirectories(dir);
    AtomicFiles.writeString(dir.resolve("config.json"), Gpt2ConfigJson.toJson(config));
    Gpt2Weights.write(dir.resolve("model.safetensors"), params, Map.of());
    if (tokenizer.isPresent() && tokenizer.get() instanceof Gpt2Tokenizer gpt2) {
      gpt2.writeVocabAndMerges(dir);
    }
  }
}
