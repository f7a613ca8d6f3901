package org.rlhf4j.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.AdamW;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.LanguageModelLoss;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.TokenBatch;
import org.rlhf4j.model.kernels.Nd4jKernels;

class CheckpointTest {
  private static final ModelConfig TINY = new ModelConfig(11, 8, 8, 2, 2, 1e-5);
  private static final Map<String, String> TOKENIZER = Map.of("kind", "byte");

  @TempDir Path dir;

  private final Gpt gpt = new Gpt(TINY, EnumSet.of(Head.VALUE), new Nd4jKernels());
  private final TokenBatch batch = TokenBatch.rightPadded(
      List.of(new int[] {1, 2, 3, 4, 5}, new int[] {5, 4, 3}), 0);
  private final int[] targets = {2, 3, 4, 5, -1, 4, 3, -1, -1, -1};

  @Test
  void aCheckpointRoundTripsWeightsMomentsStepAndMetadata() throws IOException {
    ParameterStore p = gpt.initialParameters(1, DataType.FLOAT);
    AdamW adamw = new AdamW(p, AdamW.Settings.gpt(), gpt.kernels());
    train(p, adamw, 2);
    Path ckpt = dir.resolve("step-2");
    Checkpoint.save(ckpt, contents(p, adamw, 2));
    Checkpoint.Contents loaded = Checkpoint.load(ckpt, DataType.FLOAT);
    assertEquals(p.sha256(), loaded.params().sha256());
    assertEquals(adamw.firstMoments().sha256(), loaded.optimizer().orElseThrow().firstMoments().sha256());
    assertEquals(adamw.secondMoments().sha256(), loaded.optimizer().orElseThrow().secondMoments().sha256());
    assertEquals(2, loaded.optimizer().orElseThrow().step());
    assertEquals(2, loaded.step());
    assertEquals(TINY, loaded.config());
    assertEquals(EnumSet.of(Head.VALUE), loaded.heads());
    assertEquals(TOKENIZER, loaded.tokenizer());
    assertEquals(java.util.Map.of(), loaded.state());
  }

  @Test
  void trainerStateRoundTrips() throws IOException {
    ParameterStore p = gpt.initialParameters(1, DataType.FLOAT);
    Path ckpt = dir.resolve("stateful");
    Checkpoint.save(ckpt, new Checkpoint.Contents(TINY, EnumSet.of(Head.VALUE), p,
        Optional.empty(), 3, TOKENIZER, Map.of("kl_coef", "0.0421")));
    assertEquals(Map.of("kl_coef", "0.0421"), Checkpoint.load(ckpt, DataType.FLOAT).state());
  }

  @Test
  void resumingFromACheckpointContinuesBitIdentically() throws IOException {
    ParameterStore straight = gpt.initialParameters(4, DataType.FLOAT);
    AdamW straightOpt = new AdamW(straight, AdamW.Settings.gpt(), gpt.kernels());
    train(straight, straightOpt, 6);

    ParameterStore first = gpt.initialParameters(4, DataType.FLOAT);
    AdamW firstOpt = new AdamW(first, AdamW.Settings.gpt(), gpt.kernels());
    train(first, firstOpt, 3);
    Path ckpt = dir.resolve("mid");
    Checkpoint.save(ckpt, contents(first, firstOpt, 3));
    Checkpoint.Contents loaded = Checkpoint.load(ckpt, DataType.FLOAT);
    ParameterStore resumed = loaded.params();
    AdamW resumedOpt = new AdamW(resumed, AdamW.Settings.gpt(), gpt.kernels());
    Checkpoint.OptimizerState s = loaded.optimizer().orElseThrow();
    resumedOpt.restore(s.firstMoments(), s.secondMoments(), s.step());
    train(resumed, resumedOpt, 3);
    assertEquals(straight.sha256(), resumed.sha256());
  }

  @Test
  void theCheckpointIsAHuggingFaceGpt2Directory() throws IOException {
    ParameterStore p = gpt.initialParameters(1, DataType.FLOAT);
    Path ckpt = dir.resolve("hf");
    Checkpoint.save(ckpt, new Checkpoint.Contents(TINY, EnumSet.of(Head.VALUE), p,
        Optional.empty(), 0, TOKENIZER));
    assertEquals(TINY, Gpt2ConfigJson.read(ckpt.resolve("config.json")));
    SafeTensorsHeader header = SafeTensorsReader.readHeader(ckpt.resolve("model.safetensors"));
    assertEquals("h.0.attn.c_attn.weight", header.tensors().get(4).name());
    assertEquals(List.of(8L, 24L), header.tensors().get(4).shape());
    assertEquals("pt", header.metadata().get("format"));
    assertFalse(Files.exists(ckpt.resolve("optimizer.safetensors")));
  }

  @Test
  void aTruncatedWeightFileIsRefusedWithItsName() throws IOException {
    Path ckpt = saved("truncated");
    Path model = ckpt.resolve("model.safetensors");
    byte[] bytes = Files.readAllBytes(model);
    Files.write(model, Arrays.copyOf(bytes, bytes.length - 7));
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class,
        () -> Checkpoint.load(ckpt, DataType.FLOAT));
    // the directory too: --policy, --baseline and --reward-model each have a model.safetensors
    assertTrue(e.getMessage().startsWith(model + ": "), e.getMessage());
  }

  @Test
  void aFlippedBitInTheWeightsIsRefused() throws IOException {
    Path ckpt = saved("flipped");
    Path model = ckpt.resolve("model.safetensors");
    byte[] bytes = Files.readAllBytes(model);
    bytes[bytes.length - 100] ^= 0x04;
    Files.write(model, bytes);
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class,
        () -> Checkpoint.load(ckpt, DataType.FLOAT));
    assertTrue(e.getMessage().startsWith(model + ": "), e.getMessage());
  }

  @Test
  void weightsThatDisagreeWithTheRecordedChecksumAreRefused() throws IOException {
    Path ckpt = saved("swapped");
    // a different, internally valid weight file
    ParameterStore other = gpt.initialParameters(99, DataType.FLOAT);
    Gpt2Weights.write(ckpt.resolve("model.safetensors"), other, Map.of());
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class,
        () -> Checkpoint.load(ckpt, DataType.FLOAT));
    assertTrue(e.getMessage().contains("checksum"), e.getMessage());
  }

  @Test
  void aDirectoryWithoutMetadataIsNotACheckpoint() throws IOException {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class,
        () -> Checkpoint.load(empty, DataType.FLOAT));
    assertTrue(e.getMessage().contains("rlhf4j.json: no such file"), e.getMessage());
  }

  @Test
  void aFailedSaveLeavesThePreviousCheckpointAndNoDebris() throws IOException {
    Path ckpt = saved("kept");
    byte[] before = Files.readAllBytes(ckpt.resolve("model.safetensors"));
    ParameterStore p = gpt.initialParameters(5, DataType.FLOAT);
    // heads == null fails after the weights are written into the temporary directory
    assertThrows(NullPointerException.class, () -> Checkpoint.save(ckpt,
        new Checkpoint.Contents(TINY, null, p, Optional.empty(), 1, TOKENIZER)));
    assertArrayEquals(before, Files.readAllBytes(ckpt.resolve("model.safetensors")));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of("kept"), files.map(f -> f.getFileName().toString()).toList());
    }
  }

  @Test
  void savingAgainReplacesTheCheckpoint() throws IOException {
    Path ckpt = saved("replaced");
    ParameterStore p = gpt.initialParameters(6, DataType.FLOAT);
    Checkpoint.save(ckpt, new Checkpoint.Contents(TINY, EnumSet.of(Head.VALUE), p,
        Optional.empty(), 9, TOKENIZER));
    Checkpoint.Contents loaded = Checkpoint.load(ckpt, DataType.FLOAT);
    assertEquals(p.sha256(), loaded.params().sha256());
    assertEquals(9, loaded.step());
    assertTrue(loaded.optimizer().isEmpty());
  }

  @Test
  void leftoversOfAnInterruptedSaveAreRemovedAndAMovedAsideCopyIsPutBack() throws IOException {
    Path kept = saved("step-2");
    Path moved = saved("step-4");
    // a crash while writing step-6, and one between step-4's two renames
    Path unfinished = Files.createDirectory(dir.resolve(".step-6.tmp-" + java.util.UUID.randomUUID()));
    Files.write(unfinished.resolve("model.safetensors"), new byte[] {1, 2, 3});
    Path aside = dir.resolve(".step-4.old-" + java.util.UUID.randomUUID());
    Files.move(moved, aside);
    Path stale = Files.createDirectory(dir.resolve(".step-2.old-" + java.util.UUID.randomUUID()));
    Path atomicTemp = Files.writeString(dir.resolve(".config.conf.1f2e3d.tmp"), "half");

    Checkpoint.removeLeftovers(dir);
    AtomicFiles.removeLeftovers(dir);

    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of("step-2", "step-4"), files.map(f -> f.getFileName().toString())
          .sorted().toList());
    }
    assertFalse(Files.exists(unfinished) || Files.exists(stale) || Files.exists(atomicTemp));
    Checkpoint.load(kept, DataType.FLOAT);
    Checkpoint.load(moved, DataType.FLOAT); // whole again
  }

  private Path saved(String name) throws IOException {
    ParameterStore p = gpt.initialParameters(2, DataType.FLOAT);
    AdamW adamw = new AdamW(p, AdamW.Settings.gpt(), gpt.kernels());
    Path ckpt = dir.resolve(name);
    Checkpoint.save(ckpt, contents(p, adamw, 0));
    return ckpt;
  }

  private static Checkpoint.Contents contents(ParameterStore p, AdamW adamw, long step) {
    return new Checkpoint.Contents(TINY, EnumSet.of(Head.VALUE), p,
        Optional.of(new Checkpoint.OptimizerState(adamw.firstMoments(), adamw.secondMoments(),
            adamw.step())), step, TOKENIZER);
  }

  private void train(ParameterStore p, AdamW adamw, int steps) {
    ParameterStore g = p.zerosLike();
    for (int i = 0; i < steps; i++) {
      g.zero();
      LanguageModelLoss.mean(gpt, p, batch, targets).backward(g);
      adamw.update(p, g, 1e-2);
    }
  }
}
