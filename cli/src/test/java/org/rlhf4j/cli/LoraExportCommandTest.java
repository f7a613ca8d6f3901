package org.rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.model.io.HuggingFaceGpt2;
import org.rlhf4j.model.io.SafeTensorsReader;
import org.rlhf4j.model.io.TensorInfo;
import org.rlhf4j.model.kernels.Nd4jKernels;
import org.rlhf4j.model.tokenizer.Tokenizer;

/**
 * {@code rlhf4j export} of models trained with LoRA: PEFT's files beside the base, or merged;
 * and back in through {@code --init ADAPTER_DIR} and {@code --init BASE --adapter ADAPTER_DIR}.
 */
class LoraExportCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROBE = "q3 a3 and more";

  @TempDir static Path dir;
  private static Path loraConfig;
  private static Path sftPolicy;
  private static Path adapter;

  @BeforeAll
  static void trainTinyLoraModels() throws IOException {
    loraConfig = dir.resolve("lora.conf");
    Files.writeString(loraConfig, """
        rlhf4j.model { d-model = 16, layers = 1, heads = 2, context-length = 32 }
        rlhf4j.tokenizer.kind = bpe
        rlhf4j.model.vocab-size = 300
        rlhf4j.optimizer.warmup-steps = 0
        rlhf4j.sft { steps = 2, batch-size = 4 }
        rlhf4j.reward { steps = 2, batch-size = 4 }
        rlhf4j.lora { enabled = true, rank = 2, alpha = 4 }
        """);
    // the policy is trained with full fine-tuning first, so that the base is not a fresh model
    Path full = dir.resolve("full.conf");
    Files.writeString(full, Files.readString(loraConfig).replace("enabled = true",
        "enabled = false"));
    TinyData.write(dir, 8, "Hi ", "Yo ");
    succeed("sft", "--data", dir.resolve("sft.jsonl").toString(), "--config", full.toString(),
        "--out", dir.resolve("base-sft").toString());
    succeed("sft", "--data", dir.resolve("sft.jsonl").toString(), "--config",
        loraConfig.toString(), "--init", dir.resolve("base-sft/model").toString(), "--out",
        dir.resolve("sft").toString());
    succeed("rm", "--data", dir.resolve("prefs.jsonl").toString(), "--config",
        loraConfig.toString(), "--init", dir.resolve("base-sft/model").toString(), "--out",
        dir.resolve("rm").toString());
    sftPolicy = dir.resolve("sft/model");
    adapter = dir.resolve("hf-sft-lora");
    succeed("export", "--model", sftPolicy.toString(), "--out", adapter.toString());
  }

  private static Rlhf4jCommandTest.Run succeed(String... args) {
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run(args);
    if (r.exit() != 0) {
      throw new AssertionError("rlhf4j " + String.join(" ", args) + " failed: " + r.err());
    }
    return r;
  }

  private static JsonNode json(Path file) throws IOException {
    return JSON.readTree(file.toFile());
  }

  private static Map<String, List<Long>> header(Path file) throws IOException {
    Map<String, List<Long>> shapes = new LinkedHashMap<>();
    for (TensorInfo t : SafeTensorsReader.readHeader(file).tensors()) {
      shapes.put(t.name(), t.shape());
    }
    return shapes;
  }

  /** The model a command would start from with adapters off: what was merged, nothing added. */
  private static ModelSource start(Path init, Path adapterDir, Set<Head> heads)
      throws IOException {
    RlhfConfig plain = ConfigLoader.load(dir.resolve("full.conf"));
    return ModelSource.load(init, adapterDir, plain, heads, new Nd4jKernels(), List.of());
  }

  @Test
  void aLoraPolicyExportsAsPeftFilesBesideAHuggingFaceBase() throws IOException {
    Checkpoint.Contents trained = Checkpoint.load(sftPolicy, DataType.FLOAT);
    assertTrue(trained.params().get("h.0.attn.c_attn.lora_B.weight").amaxNumber().doubleValue()
        > 0, "training moved B off zero, so the adapter matters");
    JsonNode c = json(adapter.resolve("adapter_config.json"));
    assertEquals("LORA", c.get("peft_type").asText());
    assertEquals("CAUSAL_LM", c.get("task_type").asText());
    assertEquals(2, c.get("r").asInt());
    assertEquals(4, c.get("lora_alpha").asInt());
    assertEquals("[\"c_attn\"]", c.get("target_modules").toString());
    assertTrue(c.get("fan_in_fan_out").asBoolean());
    assertEquals(adapter.toAbsolutePath().resolve("base").toString(),
        c.get("base_model_name_or_path").asText());
    assertEquals(Map.of(
        "base_model.model.transformer.h.0.attn.c_attn.lora_A.weight", List.of(2L, 16L),
        "base_model.model.transformer.h.0.attn.c_attn.lora_B.weight", List.of(48L, 2L)),
        header(adapter.resolve("adapter_model.safetensors")));
    for (String f : new String[] {"vocab.json", "merges.txt", "tokenizer_config.json",
        "special_tokens_map.json"}) {
      assertTrue(Files.exists(adapter.resolve(f)), f);
    }
    assertFalse(Files.exists(adapter.resolve("config.json")), "the adapter is not a model");
    // the base: the frozen body as a plain GPT2LMHeadModel directory
    assertEquals("GPT2LMHeadModel", json(adapter.resolve("base/config.json"))
        .get("architectures").get(0).asText());
    HuggingFaceGpt2.Imported base = HuggingFaceGpt2.load(adapter.resolve("base"),
        DataType.FLOAT);
    assertEquals(trained.withoutAdapters().params().sha256(), base.params().sha256());
  }

  @Test
  void initFromTheExportedAdapterGivesTheMergedModelAndItsTokenIds() throws IOException {
    Checkpoint.Contents merged = Checkpoint.load(sftPolicy, DataType.FLOAT).merged();
    Tokenizer tokenizer = Tokenizer.fromDescription(merged.tokenizer());
    ModelSource viaConfig = start(adapter, null, ModelSource.none());
    ModelSource explicit = start(adapter.resolve("base"), adapter, ModelSource.none());
    for (ModelSource m : List.of(viaConfig, explicit)) {
      assertEquals(merged.params().sha256(), m.params().sha256());
      assertArrayEquals(tokenizer.encode(PROBE), m.tokenizer().encode(PROBE));
    }
    assertFalse(merged.params().sha256().equals(Checkpoint.load(sftPolicy, DataType.FLOAT)
        .withoutAdapters().params().sha256()), "merging changed the weights");
    // and the commands take both forms, with fresh adapters on top
    String data = dir.resolve("sft.jsonl").toString();
    succeed("sft", "--data", data, "--config", loraConfig.toString(), "--init",
        adapter.toString(), "--out", dir.resolve("again").toString());
    succeed("sft", "--data", data, "--config", loraConfig.toString(), "--init",
        adapter.resolve("base").toString(), "--adapter", adapter.toString(), "--out",
        dir.resolve("again-explicit").toString());
    succeed("generate", "--model", adapter.toString(), "--prompt", "q1 ", "--max-new-tokens",
        "3");
  }

  @Test
  void exportMergeWritesThePlainHuggingFaceModelOfTheMergedWeights() throws IOException {
    Path out = dir.resolve("hf-sft-merged");
    Rlhf4jCommandTest.Run r = succeed("export", "--merge", "--model", sftPolicy.toString(),
        "--out", out.toString());
    assertTrue(r.err().contains("adapters merged"), r.err());
    assertFalse(Files.exists(out.resolve("adapter_config.json")));
    HuggingFaceGpt2.Imported back = HuggingFaceGpt2.load(out, DataType.FLOAT);
    Checkpoint.Contents merged = Checkpoint.load(sftPolicy, DataType.FLOAT).merged();
    assertEquals(merged.params().sha256(), back.params().sha256());
    assertArrayEquals(Tokenizer.fromDescription(merged.tokenizer()).encode(PROBE),
        back.tokenizer().orElseThrow().encode(PROBE));
  }

  @Test
  void aLoraRewardModelExportsAsASeqClsAdapterWithItsScoreHead() throws IOException {
    Path out = dir.resolve("hf-rm-lora");
    succeed("export", "--model", dir.resolve("rm/model").toString(), "--out", out.toString());
    JsonNode c = json(out.resolve("adapter_config.json"));
    assertEquals("SEQ_CLS", c.get("task_type").asText());
    assertEquals("[\"score\"]", c.get("modules_to_save").toString());
    assertEquals(List.of(1L, 16L), header(out.resolve("adapter_model.safetensors"))
        .get("base_model.model.score.weight"));
    assertEquals("GPT2ForSequenceClassification", json(out.resolve("base/config.json"))
        .get("architectures").get(0).asText());
    Checkpoint.Contents merged = Checkpoint.load(dir.resolve("rm/model"), DataType.FLOAT)
        .merged();
    ModelSource back = start(out, null, EnumSet.of(Head.REWARD));
    assertEquals(merged.params().sha256(), back.params().sha256());
  }

  /** A copy of the exported adapter with {@code edit} applied to its adapter_config.json. */
  private static Path adapterWith(String name, Consumer<ObjectNode> edit) throws IOException {
    Path copy = Files.createDirectories(dir.resolve(name));
    try (Stream<Path> files = Files.list(adapter)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, copy.resolve(f.getFileName()));
      }
    }
    ObjectNode config = (ObjectNode) json(copy.resolve("adapter_config.json"));
    edit.accept(config);
    Files.writeString(copy.resolve("adapter_config.json"), config.toString());
    return copy;
  }

  private static Rlhf4jCommandTest.Run sftFrom(String name, String... init) {
    List<String> args = new java.util.ArrayList<>(List.of("sft", "--data",
        dir.resolve("sft.jsonl").toString(), "--config", loraConfig.toString(), "--out",
        dir.resolve("refused-" + name).toString()));
    args.addAll(List.of(init));
    return Rlhf4jCommandTest.run(args.toArray(String[]::new));
  }

  private static void assertRefused(Rlhf4jCommandTest.Run r, String... parts) {
    assertEquals(2, r.exit(), r.err());
    for (String part : parts) {
      assertTrue(r.err().contains(part), r.err() + " lacks " + part);
    }
  }

  @Test
  void aBaseThatIsNotALocalModelDirectoryIsRefusedWithWhatToDo() throws IOException {
    Path hub = adapterWith("hub-base", n -> n.put("base_model_name_or_path", "gpt2"));
    assertRefused(sftFrom("hub", "--init", hub.toString()),
        hub.resolve("adapter_config.json") + ": key \"base_model_name_or_path\": \"gpt2\" is "
            + "not a local directory", "never downloads", "--init BASE --adapter " + hub);
    Path none = adapterWith("no-base", n -> n.remove("base_model_name_or_path"));
    assertRefused(Rlhf4jCommandTest.run("generate", "--model", none.toString(), "--prompt",
        "q1 "), "key \"base_model_name_or_path\": missing");
  }

  @Test
  void badAdapterFilesAreRefusedNamingTheFileAndKey() throws IOException {
    Path base = adapter.resolve("base");
    Path ia3 = adapterWith("ia3", n -> n.put("peft_type", "IA3"));
    assertRefused(sftFrom("ia3", "--init", base.toString(), "--adapter", ia3.toString()),
        ia3.resolve("adapter_config.json") + ": key \"peft_type\": expected \"LORA\"");
    Path rank = adapterWith("rank4", n -> n.put("r", 4));
    assertRefused(sftFrom("rank", "--init", base.toString(), "--adapter", rank.toString()),
        rank.resolve("adapter_model.safetensors") + ": tensor "
            + "base_model.model.transformer.h.0.attn.c_attn.lora_A.weight: shape [2, 16], "
            + "expected [4, 16]");
    Path target = adapterWith("target", n -> n.putArray("target_modules").add("q_proj"));
    assertRefused(sftFrom("target", "--init", base.toString(), "--adapter", target.toString()),
        "key \"target_modules\": unknown target \"q_proj\"");
    Path empty = Files.createDirectories(dir.resolve("not-an-adapter"));
    assertRefused(sftFrom("empty", "--init", base.toString(), "--adapter", empty.toString()),
        "--adapter " + empty + ": no adapter_config.json");
    assertRefused(sftFrom("alone", "--adapter", adapter.toString()),
        "--adapter " + adapter + " needs --init BASE");
  }
}
