package org.rlhf4j.model.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
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
 * A training checkpoint: a directory that is also a Hugging Face GPT-2 model
 * ({@code config.json}, {@code model.safetensors}) plus {@code rlhf4j.json} (heads, tokenizer,
 * step, weight checksum) and, when saved, {@code optimizer.safetensors} (AdamW moments).
 * The directory is written beside its target and renamed into place; loading verifies every file
 * and returns nothing unless all of it is sound.
 */
public final class Checkpoint {
  static final String MODEL = "model.safetensors";
  static final String OPTIMIZER = "optimizer.safetensors";
  static final String CONFIG = "config.json";
  static final String META = "rlhf4j.json";
  private static final int FORMAT_VERSION = 1;
  private static final String TEMP = ".tmp-";
  private static final String OLD = ".old-";
  /** A sibling {@link #save} writes ({@code .NAME.tmp-UUID}) or moves aside ({@code .NAME.old-UUID}). */
  private static final Pattern LEFTOVER = Pattern.compile(
      "\\.(.+)(\\.tmp-|\\.old-)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** AdamW's state: moments in the parameters' layout and the number of updates applied. */
  public record OptimizerState(ParameterStore firstMoments, ParameterStore secondMoments, long step) {}

  /**
   * Everything a checkpoint holds; {@code state} carries a trainer's own small numbers (such as an
   * adaptive KL coefficient) so that a resumed run continues exactly.
   */
  public record Contents(ModelConfig config, Set<Head> heads, ParameterStore params,
      Optional<OptimizerState> optimizer, long step, Map<String, String> tokenizer,
      Map<String, String> state, LoraConfig lora) {
    public Contents {
      tokenizer = Map.copyOf(tokenizer);
      state = Map.copyOf(state);
      lora = lora != null && lora.enabled() ? lora : null;
    }

    /** Contents of a model without adapters. */
    public Contents(ModelConfig config, Set<Head> heads, ParameterStore params,
        Optional<OptimizerState> optimizer, long step, Map<String, String> tokenizer,
        Map<String, String> state) {
      this(config, heads, params, optimizer, step, tokenizer, state, null);
    }

    /** The adapters' settings when the model has LoRA adapters. */
    public Optional<LoraConfig> adapters() {
      return Optional.ofNullable(lora);
    }

    /**
     * The model to use: with adapters, their layers merged ({@link LoraWeights#merge}) and the
     * optimizer state dropped (it belongs to the adapters); without, these contents.
     */
    public Contents merged() {
      if (lora == null) {
        return this;
      }
      return new Contents(config, heads, LoraWeights.merge(config, heads, lora, params),
          Optional.empty(), step, tokenizer, state, null);
    }

    /**
     * The base model the adapters were trained on: the frozen body and the trained heads, the
     * adapters left out (with none, these contents).
     */
    public Contents withoutAdapters() {
      if (lora == null) {
        return this;
      }
      return new Contents(config, heads, LoraWeights.merge(config, heads, null, params),
          Optional.empty(), step, tokenizer, state, null);
    }

    /** Contents without trainer state. */
    public Contents(ModelConfig config, Set<Head> heads, ParameterStore params,
        Optional<OptimizerState> optimizer, long step, Map<String, String> tokenizer) {
      this(config, heads, params, optimizer, step, tokenizer, Map.of());
    }
  }

  private Checkpoint() {}

  /** Writes {@code contents} to {@code dir}, replacing any checkpoint there only once complete. */
  public static void save(Path dir, Contents contents) throws IOException {
    Path target = dir.toAbsolutePath();
    Path parent = target.getParent();
    Files.createDirectories(parent);
    Path temp = parent.resolve("." + target.getFileName() + TEMP + UUID.randomUUID());
    Files.createDirectory(temp);
    try {
      // every file is fsynced (AtomicFiles), and so is the directory listing them, before the
      // rename: otherwise a power cut could leave a complete-looking checkpoint of empty files
      AtomicFiles.writeString(temp.resolve(CONFIG), Gpt2ConfigJson.toJson(contents.config()));
      Gpt2Weights.write(temp.resolve(MODEL), contents.params(), Map.of());
      if (contents.optimizer().isPresent()) {
        writeOptimizer(temp.resolve(OPTIMIZER), contents.optimizer().get());
      }
      AtomicFiles.writeString(temp.resolve(META), metadata(contents));
      AtomicFiles.forceDirectory(temp);
      replace(temp, target);
    } catch (IOException | RuntimeException e) {
      deleteTree(temp);
      throw e;
    }
    AtomicFiles.forceDirectory(parent);
  }

  /** Whether {@code fileName} is a sibling that an interrupted {@link #save} left behind. */
  public static boolean isLeftover(String fileName) {
    return LEFTOVER.matcher(fileName).matches();
  }

  /**
   * Removes what saves into {@code parent} left when a crash interrupted them: unfinished temp
   * directories, and old copies moved aside. An old copy whose target is missing (the crash came
   * between the two renames) is the only complete one, so it is moved back instead.
   */
  public static void removeLeftovers(Path parent) throws IOException {
    if (!Files.isDirectory(parent)) {
      return;
    }
    List<Path> found;
    try (Stream<Path> s = Files.list(parent)) {
      // old copies first, so that a restored one is not mistaken for missing by a later entry
      found = s.filter(p -> isLeftover(p.getFileName().toString()))
          .sorted(Comparator.comparing((Path p) -> !p.getFileName().toString().contains(OLD)))
          .toList();
    }
    for (Path p : found) {
      Matcher m = LEFTOVER.matcher(p.getFileName().toString());
      m.matches();
      Path target = parent.resolve(m.group(1));
      if (m.group(2).equals(OLD) && !Files.exists(target)) {
        Files.move(p, target, StandardCopyOption.ATOMIC_MOVE);
      } else {
        deleteTree(p);
      }
    }
    if (!found.isEmpty()) {
      AtomicFiles.forceDirectory(parent);
    }
  }

  /** Reads and verifies the checkpoint in {@code dir} into stores of {@code dtype}. */
  public static Contents load(Path dir, DataType dtype) throws IOException {
    Path metaFile = dir.resolve(META);
    JsonNode meta = readMeta(metaFile);
    ModelConfig config = Gpt2ConfigJson.read(dir.resolve(CONFIG));
    Set<Head> heads = EnumSet.noneOf(Head.class);
    for (JsonNode h : meta.path("heads")) {
      try {
        heads.add(Head.valueOf(h.asText()));
      } catch (IllegalArgumentException e) {
        throw new CheckpointFormatException(metaFile, "unknown head \"" + h.asText() + "\"");
      }
    }
    LoraConfig lora = readLora(metaFile, meta.path("lora"));
    ParameterLayout layout = GptLayout.of(config, heads, lora);
    Path modelFile = dir.resolve(MODEL);
    ParameterStore params = Gpt2Weights.read(modelFile, layout, dtype);
    String expected = meta.path("weights_sha256").asText("");
    String savedDtype = meta.path("dtype").asText("");
    if (savedDtype.equals(dtype.name()) && !expected.equals(params.sha256())) {
      throw new CheckpointFormatException(modelFile, "weights do not match the checksum in " + META);
    }
    Optional<OptimizerState> optimizer = Optional.empty();
    if (Files.exists(dir.resolve(OPTIMIZER))) {
      String first = GptLayout.firstTrainable(layout);
      optimizer = Optional.of(readOptimizer(dir.resolve(OPTIMIZER),
          first == null ? layout : layout.suffix(first), dtype));
    }
    Map<String, String> tokenizer = new LinkedHashMap<>();
    meta.path("tokenizer").properties().forEach(e -> tokenizer.put(e.getKey(),
        e.getValue().asText()));
    Map<String, String> state = new LinkedHashMap<>();
    meta.path("state").properties().forEach(e -> state.put(e.getKey(), e.getValue().asText()));
    return new Contents(config, heads, params, optimizer, meta.path("step").asLong(), tokenizer,
        state, lora);
  }

  /** The "lora" object of rlhf4j.json (PEFT's key names), or null when absent. */
  private static LoraConfig readLora(Path file, JsonNode node) throws CheckpointFormatException {
    if (node.isMissingNode() || node.isNull()) {
      return null;
    }
    List<String> targets = new ArrayList<>();
    node.path("target_modules").forEach(t -> targets.add(t.asText()));
    try {
      return new LoraConfig(true, node.path("r").asInt(-1), node.path("lora_alpha").asDouble(-1),
          node.path("lora_dropout").asDouble(0), targets);
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(file, "key \"lora\": " + e.getMessage());
    }
  }

  private static String metadata(Contents c) throws JsonProcessingException {
    ObjectNode n = JSON.createObjectNode();
    n.put("format_version", FORMAT_VERSION);
    n.put("step", c.step());
    n.put("dtype", c.params().dtype().name());
    n.put("weights_sha256", c.params().sha256());
    var heads = n.putArray("heads");
    c.heads().forEach(h -> heads.add(h.name()));
    ObjectNode tok = n.putObject("tokenizer");
    c.tokenizer().forEach(tok::put);
    ObjectNode state = n.putObject("state");
    c.state().forEach(state::put);
    if (c.lora() != null) {
      ObjectNode lora = n.putObject("lora");
      lora.put("r", c.lora().rank());
      lora.put("lora_alpha", c.lora().alpha());
      lora.put("lora_dropout", c.lora().dropout());
      c.lora().targetModules().forEach(lora.putArray("target_modules")::add);
    }
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n";
  }

  private static JsonNode readMeta(Path file) throws IOException {
    JsonNode meta;
    try {
      meta = JSON.readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new CheckpointFormatException(file, "no such file (is " + file.getParent()
          + " a checkpoint directory?)");
    } catch (JsonProcessingException e) {
      throw new CheckpointFormatException(file, "not valid JSON: " + e.getOriginalMessage());
    }
    if (meta == null || !meta.isObject()) {
      throw new CheckpointFormatException(file, "expected a JSON object");
    }
    if (meta.path("format_version").asInt(-1) != FORMAT_VERSION) {
      throw new CheckpointFormatException(file, "key \"format_version\": expected " + FORMAT_VERSION
          + ", got " + meta.get("format_version"));
    }
    for (String key : new String[] {"step", "dtype", "weights_sha256", "heads", "tokenizer"}) {
      if (!meta.has(key)) {
        throw new CheckpointFormatException(file, "missing key \"" + key + "\"");
      }
    }
    return meta;
  }

  private static void writeOptimizer(Path file, OptimizerState state) throws IOException {
    LinkedHashMap<String, INDArray> tensors = new LinkedHashMap<>();
    for (ParameterSpec s : state.firstMoments().layout().specs()) {
      tensors.put("m." + s.name(), state.firstMoments().get(s.name()));
    }
    for (ParameterSpec s : state.secondMoments().layout().specs()) {
      tensors.put("v." + s.name(), state.secondMoments().get(s.name()));
    }
    DType dtype = state.firstMoments().dtype() == DataType.DOUBLE ? DType.F64 : DType.F32;
    SafeTensorsWriter.write(file, tensors, Map.of("rlhf4j.adamw_step", Long.toString(state.step())),
        dtype);
  }

  private static OptimizerState readOptimizer(Path file, ParameterLayout layout, DataType dtype)
      throws IOException {
    SafeTensorsFile loaded = SafeTensorsReader.read(file, dtype);
    ParameterStore m = ParameterStore.zeros(layout, dtype);
    ParameterStore v = ParameterStore.zeros(layout, dtype);
    for (ParameterSpec s : layout.specs()) {
      for (String prefix : new String[] {"m.", "v."}) {
        INDArray t = loaded.tensors().get(prefix + s.name());
        if (t == null || !java.util.Arrays.equals(t.shape(), s.shape())) {
          throw new CheckpointFormatException(file, prefix + s.name(), t == null ? "missing"
              : "shape " + java.util.Arrays.toString(t.shape()) + ", expected "
                  + java.util.Arrays.toString(s.shape()));
        }
        (prefix.equals("m.") ? m : v).get(s.name()).assign(t);
      }
    }
    if (loaded.tensors().size() != 2 * layout.specs().size()) {
      throw new CheckpointFormatException(file, "holds tensors that are not moments of this model");
    }
    String step = loaded.metadata().get("rlhf4j.adamw_step");
    try {
      return new OptimizerState(m, v, Long.parseLong(step));
    } catch (NumberFormatException e) {
      throw new CheckpointFormatException(file, "metadata rlhf4j.adamw_step: expected an integer, got "
          + step);
    }
  }

  /** Moves the finished {@code temp} directory to {@code target}, then removes the old one. */
  private static void replace(Path temp, Path target) throws IOException {
    Path old = null;
    if (Files.exists(target)) {
      old = target.resolveSibling("." + target.getFileName() + OLD + UUID.randomUUID());
      Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
    }
    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    if (old != null) {
      deleteTree(old);
    }
  }

  /** Deletes {@code dir} and everything in it (a checkpoint, or what is left of one); nothing if absent. */
  public static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
