package org.rlhf4j.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class SafeTensorsRoundTripTest {
  private static final Map<String, String> METADATA = Map.of("format", "pt", "step", "42", "note", "héllo ✓");

  @TempDir
  Path dir;

  /**
   * Scalars, vectors, matrices, a 4-D block, a transposed (f-order) view, an empty tensor and
   * rows in the middle of a larger array (a dense view, as a parameter store's tensors are).
   */
  private static LinkedHashMap<String, INDArray> tensorsOfEveryShape(DataType type, long seed) {
    Random random = new Random(seed);
    LinkedHashMap<String, INDArray> tensors = new LinkedHashMap<>();
    tensors.put("scalar", randomArray(random, type).reshape(new long[0]));
    tensors.put("wpe", randomArray(random, type, 7));
    tensors.put("h.0.attn.c_attn.weight", randomArray(random, type, 3, 5));
    tensors.put("blocks", randomArray(random, type, 2, 3, 1, 4));
    tensors.put("transposed", randomArray(random, type, 3, 5).transpose()); // (5, 3) f-order view
    tensors.put("empty", Nd4j.create(type, 2, 0));
    tensors.put("rows", randomArray(random, type, 6, 4).get(NDArrayIndex.interval(2, 5),
        NDArrayIndex.all())); // (3, 4) from element 8 of its parent's buffer
    return tensors;
  }

  private static INDArray randomArray(Random random, DataType type, long... shape) {
    int count = 1;
    for (long dimension : shape) {
      count *= (int) dimension;
    }
    double[] values = random.doubles(Math.max(count, 1), -3, 3).toArray();
    return Nd4j.createFromArray(values).castTo(type).reshape(shape.length == 0 ? new long[] {1} : shape);
  }

  private static void assertSameTensors(Map<String, INDArray> expected, Map<String, INDArray> actual) {
    assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
    expected.forEach((name, want) -> {
      INDArray got = actual.get(name);
      assertArrayEquals(want.shape(), got.shape(), name);
      assertEquals(want.dataType(), got.dataType(), name);
      if (!want.isEmpty()) {
        double[] wantValues = want.dup('c').reshape(want.length()).toDoubleVector();
        double[] gotValues = got.dup('c').reshape(got.length()).toDoubleVector();
        assertArrayEquals(wantValues, gotValues, 0.0, name);
      }
    });
  }

  @Test
  void float32TensorsOfEveryShapeRoundTripExactlyWithMetadata() throws IOException {
    Path file = dir.resolve("model.safetensors");
    LinkedHashMap<String, INDArray> tensors = tensorsOfEveryShape(DataType.FLOAT, 1);

    SafeTensorsWriter.write(file, tensors, METADATA, DType.F32);
    SafeTensorsFile loaded = SafeTensorsReader.read(file, DataType.FLOAT);

    assertSameTensors(tensors, loaded.tensors());
    assertEquals(METADATA, loaded.metadata());
    assertTrue(loaded.checksumVerified());
  }

  @Test
  void float64TensorsOfEveryShapeRoundTripExactly() throws IOException {
    Path file = dir.resolve("model.safetensors");
    LinkedHashMap<String, INDArray> tensors = tensorsOfEveryShape(DataType.DOUBLE, 2);

    SafeTensorsWriter.write(file, tensors, Map.of(), DType.F64);
    SafeTensorsFile loaded = SafeTensorsReader.read(file, DataType.DOUBLE);

    assertSameTensors(tensors, loaded.tensors());
    assertEquals(Map.of(), loaded.metadata());
    assertTrue(loaded.checksumVerified());
  }

  @Test
  void float32DataReadAsDoubleWidensExactly() throws IOException {
    Path file = dir.resolve("model.safetensors");
    LinkedHashMap<String, INDArray> tensors = tensorsOfEveryShape(DataType.FLOAT, 3);

    SafeTensorsWriter.write(file, tensors, null, DType.F32);
    SafeTensorsFile loaded = SafeTensorsReader.read(file, DataType.DOUBLE);

    LinkedHashMap<String, INDArray> widened = new LinkedHashMap<>();
    tensors.forEach((name, array) -> widened.put(name, array.castTo(DataType.DOUBLE)));
    assertSameTensors(widened, loaded.tensors());
  }

  @Test
  void doubleArraysWrittenAsFloat32AreRoundedToFloat() throws IOException {
    Path file = dir.resolve("model.safetensors");
    LinkedHashMap<String, INDArray> tensors = new LinkedHashMap<>();
    tensors.put("third", Nd4j.createFromArray(1.0 / 3, -2.0 / 3));

    SafeTensorsWriter.write(file, tensors, Map.of(), DType.F32);

    INDArray loaded = SafeTensorsReader.read(file).tensors().get("third");
    assertArrayEquals(new float[] {(float) (1.0 / 3), (float) (-2.0 / 3)}, loaded.toFloatVector());
    assertEquals(DType.F32, SafeTensorsReader.readHeader(file).tensors().get(0).dtype());
  }

  @Test
  void tensorLargerThanOneChunkIsStreamedIntact() throws IOException {
    Path file = dir.resolve("big.safetensors");
    int count = SafeTensorsReader.CHUNK_BYTES / Float.BYTES * 2 + 3; // two full chunks and a tail
    LinkedHashMap<String, INDArray> tensors = new LinkedHashMap<>();
    tensors.put("before", randomArray(new Random(4), DataType.FLOAT, 3));
    tensors.put("wte", randomArray(new Random(5), DataType.FLOAT, count));

    SafeTensorsWriter.write(file, tensors, Map.of(), DType.F32);

    assertSameTensors(tensors, SafeTensorsReader.read(file).tensors());
  }

  @Test
  void headerListsNamesDtypesShapesAndOffsetsWithoutLoadingData() throws IOException {
    Path file = dir.resolve("model.safetensors");
    SafeTensorsWriter.write(file, tensorsOfEveryShape(DataType.FLOAT, 6), METADATA, DType.F32);

    SafeTensorsHeader header = SafeTensorsReader.readHeader(file);

    List<String> names = header.tensors().stream().map(TensorInfo::name).toList();
    assertEquals(List.of("scalar", "wpe", "h.0.attn.c_attn.weight", "blocks", "transposed", "empty",
        "rows"), names);
    assertEquals(List.of(), header.tensors().get(0).shape());
    assertEquals(List.of(5L, 3L), header.tensors().get(4).shape());
    assertEquals(List.of(2L, 0L), header.tensors().get(5).shape());
    long expectedBegin = 0;
    for (TensorInfo tensor : header.tensors()) {
      assertEquals(DType.F32, tensor.dtype());
      assertEquals(expectedBegin, tensor.begin(), tensor.name());
      assertEquals(tensor.elementCount() * 4, tensor.byteLength(), tensor.name());
      expectedBegin = tensor.end();
    }
    assertEquals(Files.size(file), header.dataStart() + header.dataLength());
    assertTrue(header.metadata().get(SafeTensorsHeader.DATA_CRC32C_KEY).matches("[0-9a-f]{8}"));
  }

  @Test
  void headerIsPaddedSoTheDataStartsEightByteAligned() throws IOException {
    Path file = dir.resolve("model.safetensors");
    SafeTensorsWriter.write(file, tensorsOfEveryShape(DataType.FLOAT, 7), METADATA, DType.F32);

    byte[] bytes = Files.readAllBytes(file);
    long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLength % 8);
    assertEquals('{', bytes[8]);
  }

  @Test
  void writingAgainReplacesTheFile() throws IOException {
    Path file = dir.resolve("model.safetensors");
    SafeTensorsWriter.write(file, tensorsOfEveryShape(DataType.FLOAT, 8), METADATA, DType.F32);
    LinkedHashMap<String, INDArray> replacement = new LinkedHashMap<>();
    replacement.put("only", Nd4j.createFromArray(1f, 2f));

    SafeTensorsWriter.write(file, replacement, Map.of("step", "43"), DType.F32);

    SafeTensorsFile loaded = SafeTensorsReader.read(file);
    assertSameTensors(replacement, loaded.tensors());
    assertEquals(Map.of("step", "43"), loaded.metadata());
    try (var listing = Files.list(dir)) {
      assertEquals(List.of(file), listing.toList());
    }
  }

  @Test
  void loadedMetadataCanBeWrittenBackUnchanged() throws IOException {
    Path first = dir.resolve("first.safetensors");
    Path second = dir.resolve("second.safetensors");
    SafeTensorsWriter.write(first, tensorsOfEveryShape(DataType.FLOAT, 9), METADATA, DType.F32);
    SafeTensorsFile loaded = SafeTensorsReader.read(first);

    SafeTensorsWriter.write(second, new LinkedHashMap<>(loaded.tensors()), loaded.metadata(), DType.F32);

    assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second));
  }

  @Test
  void callersCannotSetTheChecksumKeyOrNameATensorMetadata() {
    Path file = dir.resolve("model.safetensors");
    LinkedHashMap<String, INDArray> tensors = tensorsOfEveryShape(DataType.FLOAT, 10);
    Map<String, String> forged = Map.of(SafeTensorsHeader.DATA_CRC32C_KEY, "00000000");
    LinkedHashMap<String, INDArray> misnamed = new LinkedHashMap<>();
    misnamed.put("__metadata__", Nd4j.createFromArray(1f));

    IllegalArgumentException reserved = assertThrows(IllegalArgumentException.class,
        () -> SafeTensorsWriter.write(file, tensors, forged, DType.F32));
    assertTrue(reserved.getMessage().contains("reserved"), reserved.getMessage());
    assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.write(file, misnamed, Map.of(), DType.F32));
    assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.write(file, tensors, Map.of(), DType.F16));
    assertTrue(Files.notExists(file));
  }
}
