package org.rlhf4j.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.rlhf4j.model.io.HandAssembledFile.json;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Files built byte by byte here, as another writer (Hugging Face's, say) would lay them out. */
class SafeTensorsHandAssembledFileTest {
  private static final String HEADER = json("{"
      + "'__metadata__':{'format':'pt','source':'hand'},"
      + "'halves':{'dtype':'F16','shape':[2,3],'data_offsets':[0,12]},"
      + "'brains':{'dtype':'BF16','shape':[4],'data_offsets':[12,20]},"
      + "'ints':{'dtype':'I32','shape':[2],'data_offsets':[20,28]},"
      + "'long':{'dtype':'I64','shape':[],'data_offsets':[28,36]},"
      + "'pi':{'dtype':'F64','shape':[1],'data_offsets':[36,44]},"
      + "'floats':{'dtype':'F32','shape':[2,1],'data_offsets':[44,52]}}");

  @TempDir
  Path dir;

  private static byte[] data() {
    ByteBuffer data = HandAssembledFile.data(52);
    // F16: 1, -2, 0.5, 65504 (largest half), 2^-24 (smallest subnormal), 0x3555 (nearest half to 1/3)
    for (int bits : new int[] {0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x3555}) {
      data.putShort((short) bits);
    }
    // BF16: 1, -3.140625, 0.10009765625, 65536
    for (int bits : new int[] {0x3F80, 0xC049, 0x3DCD, 0x4780}) {
      data.putShort((short) bits);
    }
    data.putInt(-7).putInt(123_456);
    data.putLong(9_000_000_001L);
    data.putDouble(Math.PI);
    data.putFloat(1.5f).putFloat(-0.25f);
    return data.array();
  }

  private static final float[] HALVES = {1f, -2f, 0.5f, 65504f, 0x1p-24f, 0.333251953125f};
  private static final float[] BRAINS = {1f, -3.140625f, 0.10009765625f, 65536f};

  @Test
  void everyDtypeIsDecodedToKnownFloatsFromAHeaderPaddedWithSpaces() throws IOException {
    Path file = HandAssembledFile.write(dir.resolve("hand.safetensors"), HEADER, 5, data());

    SafeTensorsFile loaded = SafeTensorsReader.read(file, DataType.FLOAT);

    Map<String, INDArray> t = loaded.tensors();
    assertEquals(List.of("halves", "brains", "ints", "long", "pi", "floats"), List.copyOf(t.keySet()));
    assertArrayEquals(new long[] {2, 3}, t.get("halves").shape());
    assertArrayEquals(HALVES, t.get("halves").reshape(6).toFloatVector());
    assertArrayEquals(BRAINS, t.get("brains").toFloatVector());
    assertArrayEquals(new float[] {-7f, 123_456f}, t.get("ints").toFloatVector());
    assertEquals(0, t.get("long").rank());
    assertEquals((float) 9_000_000_001L, t.get("long").getFloat(0));
    assertArrayEquals(new float[] {(float) Math.PI}, t.get("pi").toFloatVector());
    assertArrayEquals(new long[] {2, 1}, t.get("floats").shape());
    assertArrayEquals(new float[] {1.5f, -0.25f}, t.get("floats").reshape(2).toFloatVector());
    assertEquals(Map.of("format", "pt", "source", "hand"), loaded.metadata());
    assertFalse(loaded.checksumVerified());
  }

  @Test
  void readingAsDoubleKeepsIntegersAndFloat64Exact() throws IOException {
    Path file = HandAssembledFile.write(dir.resolve("hand.safetensors"), HEADER, 3, data());

    Map<String, INDArray> t = SafeTensorsReader.read(file, DataType.DOUBLE).tensors();

    assertEquals(DataType.DOUBLE, t.get("halves").dataType());
    assertEquals(9_000_000_001.0, t.get("long").getDouble(0));
    assertEquals(Math.PI, t.get("pi").getDouble(0));
    assertEquals(0.333251953125, t.get("halves").getDouble(1, 2));
    assertEquals(-3.140625, t.get("brains").getDouble(1));
  }

  @Test
  void tensorsListedOutOfDataOrderAreReturnedInDataOrder() throws IOException {
    String header = json("{'second':{'dtype':'F32','shape':[1],'data_offsets':[4,8]},"
        + "'first':{'dtype':'F32','shape':[1],'data_offsets':[0,4]}}");
    byte[] data = HandAssembledFile.data(8).putFloat(10f).putFloat(20f).array();
    Path file = HandAssembledFile.write(dir.resolve("shuffled.safetensors"), header, 0, data);

    Map<String, INDArray> t = SafeTensorsReader.read(file).tensors();

    assertEquals(List.of("first", "second"), List.copyOf(t.keySet()));
    assertEquals(10f, t.get("first").getFloat(0));
    assertEquals(20f, t.get("second").getFloat(0));
  }

  @Test
  void fileWithNoTensorsAndNoMetadataIsEmpty() throws IOException {
    Path file = HandAssembledFile.write(dir.resolve("empty.safetensors"), "{}", 6, new byte[0]);

    SafeTensorsFile loaded = SafeTensorsReader.read(file);

    assertEquals(Map.of(), loaded.tensors());
    assertEquals(Map.of(), loaded.metadata());
  }
}
