package org.rlhf4j.model.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.config.LoraConfig;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.GptLayout;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.LoraWeights;
import org.rlhf4j.model.ParameterLayout;
import org.rlhf4j.model.ParameterSpec;
import org.rlhf4j.model.ParameterStore;

/**
 * LoRA adapters in Hugging Face PEFT's files, so that {@code PeftModel.from_pretrained(base, DIR)}
 * and {@code AutoPeftModelForCausalLM.from_pretrained(DIR)} load what rlhf4j trained:
 * {@code adapter_config.json} ({@code peft_type} LORA, {@code r}, {@code lora_alpha},
 * {@code target_modules}, {@code fan_in_fan_out} true because GPT-2's layers are Conv1D, which
 * stores weights (in, out)) and {@code adapter_model.safetensors}, tensors named as PEFT's
 * {@code get_peft_model_state_dict} names them: {@code base_model.model.transformer.h.N.attn.c_attn
 * .lora_A.weight} (r, in) and {@code ….lora_B.weight} (out, r).
 *
 * <p>Trained heads travel with the adapter where the Python side looks for them. A reward model
 * is PEFT's {@code SEQ_CLS} task: its {@code score} head is in {@code modules_to_save} and stored
 * in the adapter file as {@code base_model.model.score.weight}, the name PEFT saves a
 * modules_to_save copy under (the adapter name removed). PPO's value head is no PEFT module: it is
 * written beside the adapter as {@code model.safetensors} holding only {@code v_head.summary.weight}
 * and {@code v_head.summary.bias}, the file and names TRL's
 * {@code AutoModelForCausalLMWithValueHead.from_pretrained(DIR)} reads a value head from next to
 * an adapter (PEFT ignores that file).
 */
public final class PeftAdapter {
  /** The adapter's settings, PEFT's file name. */
  public static final String CONFIG = "adapter_config.json";
  /** The adapter's tensors, PEFT's file name. */
  public static final String WEIGHTS = "adapter_model.safetensors";
  /** The value head beside an adapter, TRL's file name. */
  public static final String VALUE_HEAD = "model.safetensors";
  private static final String PREFIX = "base_model.model.";
  private static final String BODY = "transformer.";
  private static final String SCORE = "score";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** PEFT's task type: a language model, or a sequence classifier (a reward model). */
  public enum Task { CAUSAL_LM, SEQ_CLS }

  /**
   * What {@code adapter_config.json} says: the adapters' shape, the task, and the base model's
   * {@code base_model_name_or_path} when it names one.
   */
  public record Settings(LoraConfig lora, Task task, Optional<String> baseModel) {}

  /**
   * An adapter directory read for one base: its settings and tensors by rlhf4j's names, the
   * adapters' ({@code h.0.attn.c_attn.lora_A.weight}) and any trained heads'.
   */
  public record Adapter(Settings settings, Map<String, INDArray> tensors) {
    public Adapter {
      tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /** The heads the adapter carries trained weights for. */
    public Set<Head> heads() {
      Set<Head> heads = EnumSet.noneOf(Head.class);
      for (Head h : Head.values()) {
        if (tensors.containsKey(h.weightName())) {
          heads.add(h);
        }
      }
      return heads;
    }

    /**
     * {@code base} (a model of {@code config} with {@code heads}) with the adapters folded into
     * their layers ({@link LoraWeights#merge}) and the adapter's heads in place of, or beside, the
     * base's: a store of {@link GptLayout#of(ModelConfig, Set)} for heads ∪ {@link #heads()}.
     */
    public ParameterStore mergeInto(ModelConfig config, Set<Head> heads, ParameterStore base) {
      Set<Head> all = EnumSet.noneOf(Head.class);
      all.addAll(heads);
      all.addAll(heads());
      LoraConfig lora = settings.lora();
      ParameterStore p = ParameterStore.zeros(GptLayout.of(config, all, lora), base.dtype());
      for (ParameterSpec s : base.layout().specs()) {
        p.get(s.name()).assign(base.get(s.name()));
      }
      tensors.forEach((name, t) -> p.get(name).assign(t));
      return LoraWeights.merge(config, all, lora, p);
    }
  }

  private PeftAdapter() {}

  /** Whether {@code dir} holds an adapter (PEFT's {@code adapter_config.json}). */
  public static boolean isAdapter(Path dir) {
    return Files.isRegularFile(dir.resolve(CONFIG));
  }

  /**
   * Writes the adapters of {@code params} (a store of {@link GptLayout#of(ModelConfig, Set,
   * LoraConfig)}) into {@code dir} in PEFT's layout, with {@code baseModel} as
   * {@code base_model_name_or_path}; a reward head goes into the adapter file as PEFT's
   * modules_to_save copy, a value head into TRL's {@code model.safetensors}.
   */
  public static void write(Path dir, ModelConfig config, Set<Head> heads, LoraConfig lora,
      ParameterStore params, String baseModel) throws IOException {
    Files.createDirectories(dir);
    boolean reward = heads.contains(Head.REWARD);
    LinkedHashMap<String, INDArray> tensors = new LinkedHashMap<>();
    for (String name : params.layout().names(GptLayout::isAdapter)) {
      tensors.put(PREFIX + BODY + name, params.get(name));
    }
    if (reward) {
      tensors.put(PREFIX + Head.REWARD.weightName(), params.get(Head.REWARD.weightName()));
    }
    DType dtype = params.dtype() == DataType.DOUBLE ? DType.F64 : DType.F32;
    SafeTensorsWriter.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"), dtype);
    if (heads.contains(Head.VALUE)) {
      LinkedHashMap<String, INDArray> value = new LinkedHashMap<>();
      value.put(Head.VALUE.weightName(), params.get(Head.VALUE.weightName()));
      value.put(Head.VALUE.biasName(), params.get(Head.VALUE.biasName()));
      SafeTensorsWriter.write(dir.resolve(VALUE_HEAD), value, Map.of("format", "pt"), dtype);
    }
    AtomicFiles.writeString(dir.resolve(CONFIG), configJson(lora, reward, baseModel));
  }

  private static String configJson(LoraConfig lora, boolean reward, String baseModel)
      throws JsonProcessingException {
    ObjectNode n = JSON.createObjectNode();
    n.put("peft_type", "LORA");
    n.put("task_type", (reward ? Task.SEQ_CLS : Task.CAUSAL_LM).name());
    n.put("base_model_name_or_path", baseModel);
    n.putNull("revision");
    n.put("inference_mode", true);
    n.put("r", lora.rank());
    if (lora.alpha() == Math.rint(lora.alpha())) {
      n.put("lora_alpha", (long) lora.alpha()); // PEFT types it as an int
    } else {
      n.put("lora_alpha", lora.alpha());
    }
    n.put("lora_dropout", lora.dropout());
    lora.targetModules().forEach(n.putArray("target_modules")::add);
    n.put("fan_in_fan_out", true);
    n.put("bias", "none");
    n.put("use_rslora", false);
    n.put("use_dora", false);
    n.put("init_lora_weights", true);
    if (reward) {
      n.putArray("modules_to_save").add(SCORE);
    } else {
      n.putNull("modules_to_save");
    }
    n.putNull("layers_to_transform");
    n.putNull("layers_pattern");
    n.putObject("rank_pattern");
    n.putObject("alpha_pattern");
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n";
  }

  /**
   * Reads and checks {@code dir}'s {@code adapter_config.json}: a LoRA adapter of GPT-2 layers
   * rlhf4j can fold in (no bias, DoRA, per-layer ranks or layer subsets; rsLoRA's α/√r scaling is
   * carried as an equivalent alpha).
   */
  public static Settings readSettings(Path dir) throws IOException {
    Path file = dir.resolve(CONFIG);
    JsonNode n;
    try {
      n = JSON.readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new CheckpointFormatException(file, "no such file (expected a PEFT adapter "
          + "directory)");
    } catch (JsonProcessingException e) {
      throw new CheckpointFormatException(file, "not valid JSON: " + e.getOriginalMessage());
    }
    if (n == null || !n.isObject()) {
      throw new CheckpointFormatException(file, "expected a JSON object");
    }
    String type = n.path("peft_type").asText("");
    if (!type.equals("LORA")) {
      throw new CheckpointFormatException(file, key("peft_type", "expected \"LORA\", got "
          + n.get("peft_type")));
    }
    Task task = task(file, n.get("task_type"));
    JsonNode r = n.get("r");
    if (r == null || !r.canConvertToInt() || !r.isIntegralNumber() || r.asInt() < 1) {
      throw new CheckpointFormatException(file, key("r", "expected a rank of at least 1, got "
          + r));
    }
    JsonNode alpha = n.get("lora_alpha");
    if (alpha == null || !alpha.isNumber() || !(alpha.asDouble() > 0)) {
      throw new CheckpointFormatException(file, key("lora_alpha", "expected a number > 0, got "
          + alpha));
    }
    JsonNode dropout = n.path("lora_dropout");
    if (!dropout.isMissingNode() && !dropout.isNull() && !dropout.isNumber()) {
      throw new CheckpointFormatException(file, key("lora_dropout", "expected a number, got "
          + dropout));
    }
    rejectUnsupported(file, n);
    double scaleAlpha = alpha.asDouble();
    if (n.path("use_rslora").asBoolean(false)) {
      scaleAlpha *= Math.sqrt(r.asInt()); // rsLoRA scales by α/√r: the same as α√r over r
    }
    LoraConfig lora;
    try {
      lora = new LoraConfig(true, r.asInt(), scaleAlpha, dropout.asDouble(0),
          targets(file, n.get("target_modules")));
    } catch (IllegalArgumentException e) {
      // rank, alpha and the targets are checked above: what is left is the dropout's range
      throw new CheckpointFormatException(file, key("lora_dropout", e.getMessage()));
    }
    modulesToSave(file, n.get("modules_to_save"));
    JsonNode base = n.get("base_model_name_or_path");
    return new Settings(lora, task, base == null || base.isNull() || base.asText().isEmpty()
        ? Optional.empty() : Optional.of(base.asText()));
  }

  private static Task task(Path file, JsonNode node) throws CheckpointFormatException {
    if (node == null || node.isNull()) {
      return Task.CAUSAL_LM;
    }
    try {
      return Task.valueOf(node.asText());
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(file, key("task_type", "expected \"CAUSAL_LM\" or "
          + "\"SEQ_CLS\" (a GPT-2 policy or reward model), got " + node));
    }
  }

  /** Settings PEFT has that change what the adapter computes, which the merge here does not. */
  private static void rejectUnsupported(Path file, JsonNode n) throws CheckpointFormatException {
    String bias = n.path("bias").asText("none");
    if (!bias.equals("none")) {
      throw new CheckpointFormatException(file, key("bias", "expected \"none\", got \"" + bias
          + "\" (trained biases are not read)"));
    }
    if (n.path("use_dora").asBoolean(false)) {
      throw new CheckpointFormatException(file, key("use_dora", "DoRA adapters are not "
          + "supported, only plain LoRA"));
    }
    for (String k : new String[] {"rank_pattern", "alpha_pattern"}) {
      JsonNode v = n.path(k);
      if (v.isObject() && !v.isEmpty()) {
        throw new CheckpointFormatException(file, key(k, "per-layer ranks and alphas are not "
            + "supported, got " + v));
      }
    }
    JsonNode layers = n.path("layers_to_transform");
    if (!layers.isMissingNode() && !layers.isNull()) {
      throw new CheckpointFormatException(file, key("layers_to_transform", "adapters on a "
          + "subset of layers are not supported, got " + layers));
    }
  }

  private static List<String> targets(Path file, JsonNode node) throws CheckpointFormatException {
    if (node != null && node.isTextual() && node.asText().equals("all-linear")) {
      return List.of("c_attn", "c_proj", "c_fc"); // PEFT's shorthand: every linear but the output
    }
    if (node == null || !node.isArray() || node.isEmpty()) {
      throw new CheckpointFormatException(file, key("target_modules", "expected a list of "
          + "GPT-2 layer names such as [\"c_attn\"], got " + node
          + (node != null && node.isTextual() ? " (a regular expression is not read)" : "")));
    }
    List<String> targets = new ArrayList<>();
    for (JsonNode t : node) {
      String name = t.asText();
      if (!t.isTextual() || !LoraConfig.MODULES.contains(name)) {
        throw new CheckpointFormatException(file, key("target_modules", "unknown target " + t
            + ", expected GPT-2 layers among " + LoraConfig.MODULES));
      }
      targets.add(name);
    }
    return targets;
  }

  private static void modulesToSave(Path file, JsonNode node) throws CheckpointFormatException {
    if (node == null || node.isNull()) {
      return;
    }
    for (JsonNode m : node) {
      // PEFT adds "classifier" and "score" for every sequence classifier; GPT-2's is score
      if (!m.asText().equals(SCORE) && !m.asText().equals("classifier")) {
        throw new CheckpointFormatException(file, key("modules_to_save", "only GPT-2's "
            + "\"score\" head can be a trained module, got " + m));
      }
    }
  }

  private static String key(String key, String problem) {
    return "key \"" + key + "\": " + problem;
  }

  /**
   * Reads the adapter in {@code dir} for a base model of {@code config}: its settings, then
   * {@code adapter_model.safetensors}, where every adapter the settings call for must be present
   * with PEFT's name and shape and nothing but them and a reward head may be; and TRL's value head
   * file when present.
   */
  public static Adapter read(Path dir, ModelConfig config, DataType dtype) throws IOException {
    Settings settings = readSettings(dir);
    Path file = dir.resolve(WEIGHTS);
    if (!Files.exists(file)) {
      throw new CheckpointFormatException(file, "no such file" + (Files.exists(
          dir.resolve("adapter_model.bin")) ? " (only safetensors adapters are read; "
              + "adapter_model.bin is a pickle: save with safe_serialization=True)" : ""));
    }
    ParameterLayout layout = GptLayout.of(config, EnumSet.noneOf(Head.class), settings.lora());
    Map<String, INDArray> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, INDArray> e : SafeTensorsReader.read(file, dtype).tensors().entrySet()) {
      String name = internalName(e.getKey());
      long[] expected;
      if (name != null && GptLayout.isAdapter(name) && layout.contains(name)) {
        expected = layout.spec(name).shape();
      } else if (name != null && name.equals(Head.REWARD.weightName())) {
        expected = new long[] {1, config.dModel()}; // one label: a scalar reward
      } else {
        throw new CheckpointFormatException(file, e.getKey(), "not a LoRA tensor of this "
            + "model's target_modules " + settings.lora().targetModules() + " (expected "
            + PREFIX + BODY + "h.N.<layer>.lora_A.weight and lora_B.weight for N < "
            + config.layers() + ", or " + PREFIX + Head.REWARD.weightName() + ")");
      }
      if (!Arrays.equals(e.getValue().shape(), expected)) {
        throw new CheckpointFormatException(file, e.getKey(), "shape "
            + Arrays.toString(e.getValue().shape()) + ", expected " + Arrays.toString(expected)
            + (GptLayout.isAdapter(name) ? " (r = " + settings.lora().rank() + ", d_model = "
                + config.dModel() + ")" : ""));
      }
      tensors.put(name, e.getValue());
    }
    TreeSet<String> missing = new TreeSet<>(layout.names(GptLayout::isAdapter));
    missing.removeAll(tensors.keySet());
    if (!missing.isEmpty()) {
      throw new CheckpointFormatException(file, "missing tensors "
          + missing.stream().map(m -> PREFIX + BODY + m).toList());
    }
    if (Files.exists(dir.resolve(VALUE_HEAD))) {
      tensors.putAll(valueHead(dir.resolve(VALUE_HEAD), config, dtype));
    }
    return new Adapter(settings, tensors);
  }

  /** rlhf4j's name for a PEFT tensor name, or null when it is not under PEFT's prefix. */
  private static String internalName(String peftName) {
    if (!peftName.startsWith(PREFIX)) {
      return null;
    }
    String name = peftName.substring(PREFIX.length());
    return name.startsWith(BODY) ? name.substring(BODY.length()) : name;
  }

  /** TRL's {@code v_head.summary} tensors from {@code file}; other tensors there are not ours. */
  private static Map<String, INDArray> valueHead(Path file, ModelConfig config, DataType dtype)
      throws IOException {
    Map<String, INDArray> all = SafeTensorsReader.read(file, dtype).tensors();
    Map<String, long[]> expected = new LinkedHashMap<>();
    expected.put(Head.VALUE.weightName(), new long[] {1, config.dModel()});
    expected.put(Head.VALUE.biasName(), new long[] {1});
    Map<String, INDArray> out = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      INDArray t = all.get(e.getKey());
      if (t == null) {
        throw new CheckpointFormatException(file, e.getKey(), "missing (a value head beside an "
            + "adapter is " + expected.keySet() + ", TRL's names)");
      }
      if (!Arrays.equals(t.shape(), e.getValue())) {
        throw new CheckpointFormatException(file, e.getKey(), "shape "
            + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(e.getValue()));
      }
      out.put(e.getKey(), t);
    }
    return out;
  }
}
