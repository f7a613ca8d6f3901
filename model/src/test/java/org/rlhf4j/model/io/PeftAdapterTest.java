package org.rlhf4j.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.rlhf4j.config.LoraConfig;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.GptLayout;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.LoraWeights;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.RewardPooling;
import org.rlhf4j.model.kernels.Nd4jKernels;

/** LoRA adapters in PEFT's files: names, shapes and config keys, read back, and bad files. */
class PeftAdapterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ModelConfig TINY = new ModelConfig(11, 8, 8, 2, 2, 1e-5);
  private static final LoraConfig LORA =
      new LoraConfig(true, 2, 6, 0.05, List.of("c_attn", "mlp.c_fc"));
  private static final String BASE = "/models/tiny-base";

  @TempDir Path dir;

  /** A model with adapters whose A and B are all non-zero, so each one changes the merge. */
  private static ParameterStore trained(Set<Head> heads, long seed) {
    ParameterStore p = new Gpt(TINY, heads, new Nd4jKernels(), RewardPooling.LAST, LORA)
        .initialParameters(seed, DataType.FLOAT);
    Nd4j.getRandom().setSeed(seed);
    for (var s : p.layout().specs()) {
      if (GptLayout.isAdapter(s.name()) || !s.name().startsWith("h.")) {
        p.get(s.name()).addi(Nd4j.rand(DataType.FLOAT, s.shape()).subi(0.5));
      }
    }
    return p;
  }

  private Path write(Set<Head> heads, ParameterStore p) throws IOException {
    Path out = dir.resolve("adapter");
    PeftAdapter.write(out, TINY, heads, LORA, p, BASE);
    return out;
  }

  private static ParameterStore base(Set<Head> heads, ParameterStore p) {
    return LoraWeights.merge(TINY, heads, null, p);
  }

  private static Map<String, List<Long>> header(Path file) throws IOException {
    Map<String, List<Long>> shapes = new LinkedHashMap<>();
    for (TensorInfo t : SafeTensorsReader.readHeader(file).tensors()) {
      shapes.put(t.name(), t.shape());
    }
    return shapes;
  }

  @Test
  void aPolicyAdapterHasPeftsTensorNamesShapesAndConfigKeys() throws IOException {
    Path out = write(Set.of(), trained(Set.of(), 1));
    JsonNode c = JSON.readTree(out.resolve("adapter_config.json").toFile());
    assertEquals("LORA", c.get("peft_type").asText());
    assertEquals("CAUSAL_LM", c.get("task_type").asText());
    assertEquals(2, c.get("r").asInt());
    assertEquals(6, c.get("lora_alpha").asInt());
    assertEquals(0.05, c.get("lora_dropout").asDouble());
    assertEquals(List.of("c_attn", "mlp.c_fc"), JSON.convertValue(c.get("target_modules"),
        List.class));
    assertTrue(c.get("fan_in_fan_out").asBoolean(), "GPT-2's Conv1D stores (in, out)");
    assertEquals("none", c.get("bias").asText());
    assertEquals(BASE, c.get("base_model_name_or_path").asText());
    assertTrue(c.get("inference_mode").asBoolean());
    assertTrue(c.get("modules_to_save").isNull());

    Map<String, List<Long>> expected = new LinkedHashMap<>();
    for (int l = 0; l < 2; l++) {
      String h = "base_model.model.transformer.h." + l + ".";
      expected.put(h + "attn.c_attn.lora_A.weight", List.of(2L, 8L)); // (r, in)
      expected.put(h + "attn.c_attn.lora_B.weight", List.of(24L, 2L)); // (out = 3C, r)
      expected.put(h + "mlp.c_fc.lora_A.weight", List.of(2L, 8L));
      expected.put(h + "mlp.c_fc.lora_B.weight", List.of(32L, 2L)); // (out = 4C, r)
    }
    assertEquals(expected, header(out.resolve("adapter_model.safetensors")));
    assertFalse(Files.exists(out.resolve("model.safetensors")), "no value head to carry");
  }

  @Test
  void readingTheAdapterIntoItsBaseGivesTheMergedWeights() throws IOException {
    Set<Head> heads = EnumSet.noneOf(Head.class);
    ParameterStore p = trained(heads, 2);
    Path out = write(heads, p);
    PeftAdapter.Adapter back = PeftAdapter.read(out, TINY, DataType.FLOAT);
    assertEquals(LORA, back.settings().lora());
    assertEquals(PeftAdapter.Task.CAUSAL_LM, back.settings().task());
    assertEquals(BASE, back.settings().baseModel().orElseThrow());
    ParameterStore merged = back.mergeInto(TINY, heads, base(heads, p));
    ParameterStore expected = LoraWeights.merge(TINY, heads, LORA, p);
    assertEquals(expected.sha256(), merged.sha256());
    assertFalse(expected.sha256().equals(base(heads, p).sha256()), "the adapters change it");
  }

  @Test
  void aRewardModelIsSeqClsWithItsScoreHeadAsPeftsModulesToSaveCopy() throws IOException {
    Set<Head> heads = EnumSet.of(Head.REWARD);
    ParameterStore p = trained(heads, 3);
    Path out = write(heads, p);
    JsonNode c = JSON.readTree(out.resolve("adapter_config.json").toFile());
    assertEquals("SEQ_CLS", c.get("task_type").asText());
    assertEquals(List.of("score"), JSON.convertValue(c.get("modules_to_save"), List.class));
    assertEquals(List.of(1L, 8L),
        header(out.resolve("adapter_model.safetensors")).get("base_model.model.score.weight"));

    // a base whose score head is untrained gets the adapter's
    ParameterStore base = base(heads, p);
    base.get("score.weight").assign(0);
    PeftAdapter.Adapter back = PeftAdapter.read(out, TINY, DataType.FLOAT);
    assertEquals(Set.of(Head.REWARD), back.heads());
    assertEquals(LoraWeights.merge(TINY, heads, LORA, p).sha256(),
        back.mergeInto(TINY, heads, base).sha256());
  }

  @Test
  void aValueHeadGoesBesideTheAdapterUnderTrlsNames() throws IOException {
    Set<Head> heads = EnumSet.of(Head.VALUE);
    ParameterStore p = trained(heads, 4);
    Path out = write(heads, p);
    assertEquals(Map.of("v_head.summary.weight", List.of(1L, 8L), "v_head.summary.bias",
        List.of(1L)), header(out.resolve("model.safetensors")));
    assertTrue(header(out.resolve("adapter_model.safetensors")).keySet().stream()
        .allMatch(n -> n.contains(".lora_")), "PEFT's file holds only PEFT's tensors");
    // the value head reaches a base without one
    PeftAdapter.Adapter back = PeftAdapter.read(out, TINY, DataType.FLOAT);
    assertEquals(Set.of(Head.VALUE), back.heads());
    ParameterStore merged = back.mergeInto(TINY, Set.of(), base(Set.of(), p));
    assertEquals(LoraWeights.merge(TINY, heads, LORA, p).sha256(), merged.sha256());
  }

  private Path withConfig(Consumer<ObjectNode> edit) throws IOException {
    Path out = write(Set.of(), trained(Set.of(), 5));
    Path file = out.resolve("adapter_config.json");
    ObjectNode n = (ObjectNode) JSON.readTree(file.toFile());
    edit.accept(n);
    Files.writeString(file, JSON.writeValueAsString(n));
    return out;
  }

  private static void assertRefused(Path adapter, ModelConfig config, String... parts) {
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class,
        () -> PeftAdapter.read(adapter, config, DataType.FLOAT));
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), e.getMessage() + " lacks " + part);
    }
  }

  @Test
  void settingsRlhf4jCannotFoldInAreRefusedNamingTheFileAndKey() throws IOException {
    String file = dir.resolve("adapter/adapter_config.json").toString();
    assertRefused(withConfig(n -> n.put("peft_type", "IA3")), TINY, file,
        "key \"peft_type\": expected \"LORA\", got \"IA3\"");
    assertRefused(withConfig(n -> n.remove("r")), TINY, file, "key \"r\"");
    assertRefused(withConfig(n -> n.putArray("target_modules").add("q_proj")), TINY, file,
        "key \"target_modules\": unknown target \"q_proj\"");
    assertRefused(withConfig(n -> n.put("target_modules", ".*c_attn")), TINY, file,
        "key \"target_modules\"", "regular expression");
    assertRefused(withConfig(n -> n.put("bias", "all")), TINY, file, "key \"bias\"");
    assertRefused(withConfig(n -> n.put("use_dora", true)), TINY, file, "key \"use_dora\"");
    assertRefused(withConfig(n -> n.put("task_type", "SEQ_2_SEQ_LM")), TINY, file,
        "key \"task_type\"");
    assertRefused(withConfig(n -> n.putArray("modules_to_save").add("lm_head")), TINY, file,
        "key \"modules_to_save\"", "lm_head");
  }

  @Test
  void tensorsThatDoNotFitTheBaseOrTheSettingsAreRefusedByName() throws IOException {
    String file = dir.resolve("adapter/adapter_model.safetensors").toString();
    // a wider base: every adapter has the wrong shape
    ModelConfig wider = new ModelConfig(11, 8, 16, 2, 2, 1e-5);
    assertRefused(write(Set.of(), trained(Set.of(), 6)), wider, file,
        "tensor base_model.model.transformer.h.0.attn.c_attn.lora_A.weight: shape [2, 8], "
            + "expected [2, 16]");
    // settings that target fewer layers than the file holds
    assertRefused(withConfig(n -> n.putArray("target_modules").add("c_attn")), TINY, file,
        "tensor base_model.model.transformer.h.0.mlp.c_fc.lora_A.weight: not a LoRA tensor");
    // settings that target more layers than the file holds
    assertRefused(withConfig(n -> n.putArray("target_modules").add("c_attn").add("c_fc")
        .add("c_proj")), TINY, file, "missing tensors",
        "base_model.model.transformer.h.0.attn.c_proj.lora_A.weight");
    // a shallower base: layer 1's adapters have no layer
    ModelConfig shallower = new ModelConfig(11, 8, 8, 1, 2, 1e-5);
    assertRefused(write(Set.of(), trained(Set.of(), 7)), shallower, file,
        "tensor base_model.model.transformer.h.1.");
  }

  @Test
  void aMissingWeightsFileIsRefusedNamingIt() throws IOException {
    Path out = write(Set.of(), trained(Set.of(), 8));
    Files.delete(out.resolve("adapter_model.safetensors"));
    assertRefused(out, TINY, out.resolve("adapter_model.safetensors").toString(), "no such file");
  }
}
