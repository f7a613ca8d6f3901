package org.rlhf4j.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class AtomicFilesTest {
  private static final byte[] OLD_CONTENT = "the checkpoint that must survive".getBytes(StandardCharsets.UTF_8);

  @TempDir
  Path dir;

  private Path existingTarget(String name) throws IOException {
    return Files.write(dir.resolve(name), OLD_CONTENT);
  }

  private void assertOnlyFileIs(Path expected) throws IOException {
    try (var listing = Files.list(expected.getParent())) {
      assertEquals(List.of(expected), listing.toList());
    }
  }

  @Test
  void writeStringReplacesTheTargetAndLeavesNoTempFile() throws IOException {
    Path target = existingTarget("meta.json");

    AtomicFiles.writeString(target, "{\"step\": 3, \"note\": \"é\"}");

    assertEquals("{\"step\": 3, \"note\": \"é\"}", Files.readString(target, StandardCharsets.UTF_8));
    assertOnlyFileIs(target);
  }

  @Test
  void writerThatThrowsMidwayLeavesTheTargetByteIdenticalAndNoTempFile() throws IOException {
    Path target = existingTarget("model.safetensors");
    IOException crash = new IOException("disk full, say");

    IOException thrown = assertThrows(IOException.class, () -> AtomicFiles.writeAtomically(target, temp -> {
      Files.write(temp, new byte[4096]); // half a file already on disk
      throw crash;
    }));

    assertSame(crash, thrown);
    assertArrayEquals(OLD_CONTENT, Files.readAllBytes(target));
    assertOnlyFileIs(target);
  }

  @Test
  void uncheckedFailureInTheWriterAlsoCleansUp() throws IOException {
    Path target = existingTarget("model.safetensors");

    assertThrows(UncheckedIOException.class, () -> AtomicFiles.writeAtomically(target, temp -> {
      Files.writeString(temp, "partial");
      throw new UncheckedIOException(new IOException("boom"));
    }));

    assertArrayEquals(OLD_CONTENT, Files.readAllBytes(target));
    assertOnlyFileIs(target);
  }

  @Test
  void failedRenameLeavesTheTargetAloneAndNoTempFile() throws IOException {
    // a non-empty directory cannot be renamed over, so the last step fails after a complete write
    Path target = Files.createDirectory(dir.resolve("model.safetensors"));
    Path inside = Files.write(target.resolve("keep"), OLD_CONTENT);

    assertThrows(IOException.class, () -> AtomicFiles.writeString(target, "new"));

    assertArrayEquals(OLD_CONTENT, Files.readAllBytes(inside));
    assertOnlyFileIs(target);
  }

  @Test
  void missingDirectoryFailsWithoutCreatingAnything() {
    Path target = dir.resolve("absent").resolve("model.safetensors");

    assertThrows(NoSuchFileException.class, () -> AtomicFiles.writeString(target, "x"));
  }

  @Test
  void safeTensorsWriteThatFailsMidwayLeavesTheOldCheckpointAndNoTempFile() throws IOException {
    Path target = existingTarget("model.safetensors");
    LinkedHashMap<String, INDArray> tensors = new LinkedHashMap<>();
    tensors.put("wte", Nd4j.createFromArray(1f, 2f, 3f));
    INDArray released = Nd4j.createFromArray(4f, 5f);
    released.close(); // ND4J refuses to read it once the data phase reaches it, after wte is written
    tensors.put("wpe", released);

    assertThrows(IllegalStateException.class, () -> SafeTensorsWriter.write(target, tensors, Map.of(), DType.F32));

    assertArrayEquals(OLD_CONTENT, Files.readAllBytes(target));
    assertOnlyFileIs(target);
  }

  @Test
  void safeTensorsWriteIntoAReadOnlyDirectoryLeavesTheOldCheckpoint() throws IOException {
    Path target = existingTarget("model.safetensors");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      assumeFalse(Files.isWritable(dir), "running as root: directory permissions do not stop writes");
      LinkedHashMap<String, INDArray> tensors = new LinkedHashMap<>();
      tensors.put("wte", Nd4j.createFromArray(1f, 2f, 3f));

      assertThrows(IOException.class, () -> SafeTensorsWriter.write(target, tensors, Map.of(), DType.F32));

      assertArrayEquals(OLD_CONTENT, Files.readAllBytes(target));
      assertOnlyFileIs(target);
    } finally {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
  }
}
