package org.rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.model.io.HuggingFaceGpt2;
import org.rlhf4j.model.tokenizer.Tokenizer;

/** {@code rlhf4j export} of a policy and a reward model trained by the commands, and back. */
class ExportCommandTest {
  @TempDir static Path dir;

  @BeforeAll
  static void trainTinyModels() throws IOException {
    Path config = dir.resolve("tiny.conf");
    Files.writeString(config, """
        rlhf4j.model { d-model = 16, layers = 1, heads = 2, context-length = 32 }
        rlhf4j.tokenizer.kind = bpe
        rlhf4j.model.vocab-size = 300
        rlhf4j.sft { steps = 2, batch-size = 4 }
        rlhf4j.reward { steps = 2, batch-size = 4 }
        """);
    TinyData.models(dir, config);
  }

  @Test
  void aPolicyExportsWithItsLearnedBpeAndLoadsBackAsTheSameModel() throws IOException {
    Path out = dir.resolve("hf-sft");
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("export", "--model",
        dir.resolve("sft/model").toString(), "--out", out.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.err().contains("GPT2LMHeadModel"), r.err());
    Checkpoint.Contents trained = Checkpoint.load(dir.resolve("sft/model"), DataType.FLOAT);
    HuggingFaceGpt2.Imported back = HuggingFaceGpt2.load(out, DataType.FLOAT);
    assertEquals(trained.params().sha256(), back.params().sha256());
    Tokenizer bpe = Tokenizer.fromDescription(trained.tokenizer());
    assertArrayEquals(bpe.encode("q3 a3 and more"),
        back.tokenizer().orElseThrow().encode("q3 a3 and more"));
    for (String f : new String[] {"config.json", "model.safetensors", "vocab.json", "merges.txt",
        "tokenizer_config.json", "special_tokens_map.json"}) {
      assertTrue(Files.exists(out.resolve(f)), f);
    }
    Rlhf4jCommandTest.Run generated = Rlhf4jCommandTest.run("generate", "--model",
        out.toString(), "--prompt", "q1 ", "--max-new-tokens", "3");
    assertEquals(0, generated.exit(), generated.err());
  }

  @Test
  void aCheckpointTrainedFromAHuggingFaceDirectoryOfAnotherVocabularyLoadsAgain() {
    // the exported learned BPE is not GPT-2's vocabulary: the checkpoint must carry it
    Path hf = dir.resolve("hf-for-init");
    assertEquals(0, Rlhf4jCommandTest.run("export", "--model",
        dir.resolve("sft/model").toString(), "--out", hf.toString()).exit());
    String config = dir.resolve("tiny.conf").toString();
    String data = dir.resolve("sft.jsonl").toString();
    Rlhf4jCommandTest.Run first = Rlhf4jCommandTest.run("sft", "--data", data, "--config",
        config, "--init", hf.toString(), "--out", dir.resolve("from-hf").toString());
    assertEquals(0, first.exit(), first.err());
    Rlhf4jCommandTest.Run again = Rlhf4jCommandTest.run("sft", "--data", data, "--config",
        config, "--init", dir.resolve("from-hf/model").toString(), "--out",
        dir.resolve("from-checkpoint").toString());
    assertEquals(0, again.exit(), again.err());
  }

  @Test
  void aRewardModelExportsAsASequenceClassifier() throws IOException {
    Path out = dir.resolve("hf-rm");
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("export", "--model",
        dir.resolve("rm/model").toString(), "--out", out.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(Files.readString(out.resolve("config.json"))
        .contains("GPT2ForSequenceClassification"));
    HuggingFaceGpt2.Imported back = HuggingFaceGpt2.load(out, DataType.FLOAT);
    assertEquals(Set.of(Head.REWARD), back.heads());
    assertEquals(Checkpoint.load(dir.resolve("rm/model"), DataType.FLOAT).params().sha256(),
        back.params().sha256());
  }

  @Test
  void anExistingOutputOrAModelThatIsNotACheckpointIsRefusedAndNothingIsWritten()
      throws IOException {
    Path taken = Files.createDirectories(dir.resolve("taken"));
    Files.writeString(taken.resolve("keep.txt"), "mine");
    Rlhf4jCommandTest.Run exists = Rlhf4jCommandTest.run("export", "--model",
        dir.resolve("sft/model").toString(), "--out", taken.toString());
    assertEquals(2, exists.exit());
    assertTrue(exists.err().contains("--out " + taken + ": exists"), exists.err());
    try (Stream<Path> files = Files.list(taken)) {
      assertEquals(1, files.count(), "the existing directory was written into");
    }
    Rlhf4jCommandTest.Run runDir = Rlhf4jCommandTest.run("export", "--model",
        dir.resolve("sft").toString(), "--out", dir.resolve("never").toString());
    assertEquals(2, runDir.exit());
    assertTrue(runDir.err().contains("run directory"), runDir.err());
    assertTrue(Files.notExists(dir.resolve("never")));
  }
}
