package org.rlhf4j.model.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.GptLayout;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.RewardPooling;
import org.rlhf4j.model.tokenizer.Gpt2Tokenizer;
import org.rlhf4j.model.tokenizer.Tokenizer;
import org.rlhf4j.model.tokenizer.TokenizerExport;

/**
 * Import and export of a Hugging Face GPT-2 directory: {@code config.json},
 * {@code model.safetensors} (names with or without {@code transformer.}) and the tokenizer as
 * {@code vocab.json} + {@code merges.txt} or {@code tokenizer.json}.
 */
public final class HuggingFaceGpt2 {
  /**
   * What an import yields: a language model, or a reward model ({@link Head#REWARD}) from a
   * {@code GPT2ForSequenceClassification} directory; the tokenizer is absent when the directory
   * has no tokenizer files.
   */
  public record Imported(ModelConfig config, Set<Head> heads, ParameterStore params,
      Optional<Tokenizer> tokenizer) {}

  private HuggingFaceGpt2() {}

  /**
   * Loads the GPT-2 in {@code dir}: the body, and the reward head when the weights hold
   * {@code score.weight} (a sequence classifier with one label).
   */
  public static Imported load(Path dir, DataType dtype) throws IOException {
    ModelConfig config = Gpt2ConfigJson.read(dir.resolve("config.json"));
    Path weights = dir.resolve("model.safetensors");
    if (!Files.exists(weights)) {
      throw new CheckpointFormatException(weights, "no such file (only safetensors weights are "
          + "read; convert pytorch_model.bin with Hugging Face's tools)");
    }
    Set<Head> heads = EnumSet.noneOf(Head.class);
    boolean scored = SafeTensorsReader.readHeader(weights).tensors().stream()
        .anyMatch(t -> t.name().equals(Head.REWARD.weightName()));
    if (scored) {
      heads.add(Head.REWARD);
    }
    ParameterStore params = Gpt2Weights.read(weights, GptLayout.of(config, heads), dtype);
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
    return new Imported(config, heads, params, tokenizer);
  }

  /**
   * Writes {@code config.json} and {@code model.safetensors} that Hugging Face's
   * {@code GPT2LMHeadModel.from_pretrained} loads (extra heads are kept under their own names),
   * and {@code vocab.json} + {@code merges.txt} for a GPT-2 tokenizer.
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

  /**
   * Writes a model and its tokenizer as a Hugging Face directory: a language model (its value
   * head, if any, under TRL's {@code v_head.summary} names) for {@code GPT2LMHeadModel}, a reward
   * model for {@code GPT2ForSequenceClassification} ({@code score.weight}, one label), and the
   * tokenizer's files for {@code AutoTokenizer} ({@link TokenizerExport}).
   *
   * @throws IllegalArgumentException for a reward model that sums per-token scores, which a
   *     sequence classifier (the last real token's score) cannot express
   */
  public static void export(Path dir, ModelConfig config, Set<Head> heads, RewardPooling pooling,
      ParameterStore params, Tokenizer tokenizer) throws IOException {
    boolean reward = heads.contains(Head.REWARD);
    if (reward && pooling != RewardPooling.LAST) {
      throw new IllegalArgumentException("a reward model that pools with '"
          + pooling.configName() + "' has no GPT2ForSequenceClassification form (it scores the "
          + "last real token only)");
    }
    Files.createDirectories(dir);
    AtomicFiles.writeString(dir.resolve("config.json"), reward
        ? Gpt2ConfigJson.toRewardModelJson(config, tokenizer.padId())
        : Gpt2ConfigJson.toJson(config));
    Gpt2Weights.write(dir.resolve("model.safetensors"), params, Map.of(), reward);
    TokenizerExport.write(tokenizer, config.contextLength(), dir);
  }
}
