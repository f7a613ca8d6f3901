package org.rlhf4j.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.RewardPooling;
import org.rlhf4j.model.kernels.Nd4jKernels;
import org.rlhf4j.model.tokenizer.ByteTokenizer;
import org.rlhf4j.model.tokenizer.Gpt2Tokenizer;
import org.rlhf4j.model.tokenizer.Tokenizer;

/** Export to a Hugging Face directory and import back: the same parameters and token ids. */
class HuggingFaceExportTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> TEXTS = List.of("the movie was good", "a bad day at the sea",
      "good morning, good night", "the sea was calm and the day was long");
  private static final List<String> PROBES = List.of("the movie was calm", "Héllo wörld 😀",
      "tabs\tand\nnewlines  and  spaces", "");

  @TempDir Path dir;

  private static ParameterStore params(ModelConfig c, Set<Head> heads, long seed) {
    return new Gpt(c, heads, new Nd4jKernels()).initialParameters(seed, DataType.FLOAT);
  }

  private static void assertSameIds(Tokenizer expected, Tokenizer got) {
    for (String probe : PROBES) {
      assertArrayEquals(expected.encode(probe), got.encode(probe), probe);
    }
  }

  private JsonNode json(Path file) throws IOException {
    return JSON.readTree(file.toFile());
  }

  @Test
  void aLanguageModelWithItsLearnedBpeRoundTrips() throws IOException {
    Tokenizer bpe = Gpt2Tokenizer.learn(TEXTS, 300);
    ModelConfig c = new ModelConfig(bpe.vocabSize(), 16, 8, 1, 2, 1e-5);
    ParameterStore p = params(c, EnumSet.noneOf(Head.class), 1);
    Path out = dir.resolve("lm");
    HuggingFaceGpt2.export(out, c, EnumSet.noneOf(Head.class), RewardPooling.LAST, p, bpe);

    HuggingFaceGpt2.Imported back = HuggingFaceGpt2.load(out, DataType.FLOAT);
    assertEquals(c, back.config());
    assertEquals(Set.of(), back.heads());
    assertEquals(p.sha256(), back.params().sha256());
    assertSameIds(bpe, back.tokenizer().orElseThrow());
    assertEquals("GPT2LMHeadModel", json(out.resolve("config.json")).get("architectures")
        .get(0).asText());
    JsonNode tc = json(out.resolve("tokenizer_config.json"));
    assertEquals("GPT2Tokenizer", tc.get("tokenizer_class").asText());
    assertEquals(16, tc.get("model_max_length").asInt());
    assertEquals("<|endoftext|>", tc.get("added_tokens_decoder")
        .get(Integer.toString(bpe.eosId())).get("content").asText());
    assertEquals("<|endoftext|>", json(out.resolve("special_tokens_map.json"))
        .get("eos_token").asText());
  }

  @Test
  void theByteTokenizerBecomesAByteLevelBpeWithoutMergesThatGivesTheSameIds() throws IOException {
    Tokenizer bytes = new ByteTokenizer();
    ModelConfig c = new ModelConfig(bytes.vocabSize(), 16, 8, 1, 2, 1e-5);
    Path out = dir.resolve("bytes");
    HuggingFaceGpt2.export(out, c, EnumSet.noneOf(Head.class), RewardPooling.LAST,
        params(c, EnumSet.noneOf(Head.class), 2), bytes);

    Tokenizer back = HuggingFaceGpt2.load(out, DataType.FLOAT).tokenizer().orElseThrow();
    assertSameIds(bytes, back);
    assertEquals(List.of("#version: 0.2"), Files.readAllLines(out.resolve("merges.txt")));
    assertEquals(ByteTokenizer.EOS, back.eosId());
    assertEquals("<|pad|>", json(out.resolve("special_tokens_map.json")).get("pad_token")
        .asText());
  }

  @Test
  void aRewardModelBecomesASequenceClassifierWithOneLabelAndComesBackWithItsHead()
      throws IOException {
    Tokenizer bytes = new ByteTokenizer();
    ModelConfig c = new ModelConfig(bytes.vocabSize(), 16, 8, 1, 2, 1e-5);
    Set<Head> reward = EnumSet.of(Head.REWARD);
    ParameterStore p = params(c, reward, 3);
    Path out = dir.resolve("rm");
    HuggingFaceGpt2.export(out, c, reward, RewardPooling.LAST, p, bytes);

    JsonNode config = json(out.resolve("config.json"));
    assertEquals("GPT2ForSequenceClassification", config.get("architectures").get(0).asText());
    assertEquals(1, config.get("num_labels").asInt());
    assertEquals(ByteTokenizer.PAD, config.get("pad_token_id").asInt());
    Set<String> names = SafeTensorsReader.readHeader(out.resolve("model.safetensors")).tensors()
        .stream().map(TensorInfo::name).collect(Collectors.toSet());
    assertTrue(names.contains("score.weight") && names.contains("transformer.wte.weight")
        && names.contains("transformer.h.0.attn.c_attn.weight"), names.toString());
    HuggingFaceGpt2.Imported back = HuggingFaceGpt2.load(out, DataType.FLOAT);
    assertEquals(reward, back.heads());
    assertEquals(p.sha256(), back.params().sha256());
  }

  @Test
  void aRewardModelThatSumsItsScoresHasNoSequenceClassifierForm() {
    Tokenizer bytes = new ByteTokenizer();
    ModelConfig c = new ModelConfig(bytes.vocabSize(), 16, 8, 1, 2, 1e-5);
    Set<Head> reward = EnumSet.of(Head.REWARD);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HuggingFaceGpt2.export(dir.resolve("sum"), c, reward, RewardPooling.SUM,
            params(c, reward, 4), bytes));
    assertTrue(e.getMessage().contains("'sum'"), e.getMessage());
    assertTrue(Files.notExists(dir.resolve("sum")), "nothing is written");
  }
}
