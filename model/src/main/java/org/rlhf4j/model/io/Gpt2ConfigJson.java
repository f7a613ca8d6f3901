package org.rlhf4j.model.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.rlhf4j.config.ModelConfig;

/** Hugging Face's GPT-2 {@code config.json}: the model shape, read with validation and written. */
public final class Gpt2ConfigJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Gpt2ConfigJson() {}

  /** The config.json text Hugging Face's {@code GPT2LMHeadModel} loads. */
  public static String toJson(ModelConfig c) {
    return toJson(c, shape("GPT2LMHeadModel", c));
  }

  /**
   * The config.json text of a reward model as Hugging Face's
   * {@code GPT2ForSequenceClassification} with one label (TRL's reward models): it scores the
   * last token that is not {@code padId}.
   */
  public static String toRewardModelJson(ModelConfig c, int padId) {
    ObjectNode n = shape("GPT2ForSequenceClassification", c);
    n.put("num_labels", 1);
    n.putObject("id2label").put("0", "LABEL_0");
    n.putObject("label2id").put("LABEL_0", 0);
    n.put("pad_token_id", padId);
    return toJson(c, n);
  }

  private static String toJson(ModelConfig c, ObjectNode n) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ObjectNode shape(String architecture, ModelConfig c) {
    ObjectNode n = JSON.createObjectNode();
    n.putArray("architectures").add(architecture);
    n.put("model_type", "gpt2");
    n.put("vocab_size", c.vocabSize());
    n.put("n_positions", c.contextLength());
    n.put("n_ctx", c.contextLength());
    n.put("n_embd", c.dModel());
    n.put("n_layer", c.layers());
    n.put("n_head", c.heads());
    n.putNull("n_inner");
    n.put("activation_function", "gelu_new");
    n.put("layer_norm_epsilon", c.layerNormEpsilon());
    n.put("tie_word_embeddings", true);
    return n;
  }

  /** Reads and validates {@code file}; every problem names the file and the key. */
  public static ModelConfig read(Path file) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new CheckpointFormatException(file, "no such file");
    } catch (JsonProcessingException e) {
      throw new CheckpointFormatException(file, "not valid JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new CheckpointFormatException(file, "expected a JSON object");
    }
    if (root.has("model_type") && !"gpt2".equals(root.get("model_type").asText())) {
      throw new CheckpointFormatException(file, "model_type is \"" + root.get("model_type").asText()
          + "\", expected \"gpt2\"");
    }
    String activation = root.path("activation_function").asText("gelu_new");
    if (!activation.equals("gelu_new") && !activation.equals("gelu_pytorch_tanh")) {
      throw new CheckpointFormatException(file, "activation_function is \"" + activation
          + "\"; only GPT-2's tanh GELU (gelu_new) is supported");
    }
    if (root.hasNonNull("n_inner") && root.get("n_inner").asInt() != 4 * intKey(file, root, "n_embd")) {
      throw new CheckpointFormatException(file, "n_inner must be null or 4 × n_embd");
    }
    if (root.has("tie_word_embeddings") && !root.get("tie_word_embeddings").asBoolean()) {
      throw new CheckpointFormatException(file, "tie_word_embeddings is false; GPT-2's LM head is tied");
    }
    int positions = root.has("n_positions") ? intKey(file, root, "n_positions")
        : intKey(file, root, "n_ctx");
    double eps = root.has("layer_norm_epsilon") ? root.get("layer_norm_epsilon").asDouble() : 1e-5;
    try {
      return new ModelConfig(intKey(file, root, "vocab_size"), positions,
          intKey(file, root, "n_embd"), intKey(file, root, "n_layer"), intKey(file, root, "n_head"),
          eps);
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(file, e.getMessage());
    }
  }

  private static int intKey(Path file, JsonNode root, String key) throws CheckpointFormatException {
    JsonNode v = root.get(key);
    if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
      throw new CheckpointFormatException(file, "key \"" + key + "\": expected a positive integer, got "
          + (v == null ? "nothing" : v.toString()));
    }
    return v.asInt();
  }
}
