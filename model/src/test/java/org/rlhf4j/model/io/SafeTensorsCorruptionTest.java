package org.rlhf4j.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rlhf4j.model.io.HandAssembledFile.json;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SafeTensorsCorruptionTest {
  @TempDir
  Path dir;

  /**
   * The message after the directory, which every message must name first: one command can read
   * several models, each with its own model.safetensors.
   */
  private String inDir(Exception e) {
    String prefix = dir + java.io.File.separator;
    assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
    return e.getMessage().substring(prefix.length());
  }

  private Path writeSmallModel() throws IOException {
    Random random = new Random(11);
    LinkedHashMap<String, INDArray> tensors = new LinkedHashMap<>();
    tensors.put("ln_f.bias", Nd4j.createFromArray(random.doubles(1).toArray()).reshape(new long[0]));
    tensors.put("wpe", Nd4j.createFromArray(random.doubles(3).toArray()));
    tensors.put("h.0.attn.c_attn.weight", Nd4j.createFromArray(random.doubles(6).toArray()).reshape(2, 3));
    Path file = dir.resolve("model.safetensors");
    SafeTensorsWriter.write(file, tensors, Map.of("step", "7"), DType.F32);
    return file;
  }

  private static long headerLength(byte[] file) {
    return ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  @Test
  void truncationAtEveryBytePositionFailsWithAMessageSayingWhy() throws IOException {
    byte[] whole = Files.readAllBytes(writeSmallModel());
    long dataStart = 8 + headerLength(whole);
    Path cut = dir.resolve("cut.safetensors");

    for (int length = 0; length < whole.length; length++) {
      Files.write(cut, Arrays.copyOf(whole, length));

      CheckpointFormatException onRead = assertThrows(CheckpointFormatException.class,
          () -> SafeTensorsReader.read(cut), "cut at " + length);
      CheckpointFormatException onHeader = assertThrows(CheckpointFormatException.class,
          () -> SafeTensorsReader.readHeader(cut), "cut at " + length);

      String expected = length < 8 ? "file is " + length + " bytes, too short for the 8-byte header length"
          : length < dataStart ? "is larger than the " + (length - 8) + " bytes after the length prefix (truncated file?)"
          : "but the file holds only " + (length - dataStart) + " data bytes (truncated file?)";
      for (CheckpointFormatException e : new CheckpointFormatException[] {onRead, onHeader}) {
        assertTrue(inDir(e).startsWith("cut.safetensors: "), inDir(e));
        assertTrue(inDir(e).contains(expected), "cut at " + length + ": " + inDir(e));
      }
    }
  }

  @Test
  void aDataCutNamesTheLastTensorAndTheBytesExpected() throws IOException {
    byte[] whole = Files.readAllBytes(writeSmallModel());
    Path cut = dir.resolve("cut.safetensors");
    Files.write(cut, Arrays.copyOf(whole, whole.length - 4));

    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> SafeTensorsReader.read(cut));

    assertEquals("cut.safetensors: tensor h.0.attn.c_attn.weight: data_offsets end at 40 but the file holds only "
        + "36 data bytes (truncated file?)", inDir(e));
    assertEquals("h.0.attn.c_attn.weight", e.tensor());
  }

  @Test
  void everySingleBitFlipInTheDataFailsTheChecksum() throws IOException {
    Path file = writeSmallModel();
    byte[] whole = Files.readAllBytes(file);
    int dataStart = (int) (8 + headerLength(whole));
    Path flipped = dir.resolve("flipped.safetensors");

    for (int position = dataStart; position < whole.length; position++) {
      byte[] damaged = whole.clone();
      damaged[position] ^= (byte) (1 << (position % 8));
      Files.write(flipped, damaged);

      CheckpointFormatException e = assertThrows(CheckpointFormatException.class,
          () -> SafeTensorsReader.read(flipped), "flip at " + position);
      assertTrue(inDir(e).startsWith("flipped.safetensors: data checksum mismatch: metadata "
          + "rlhf4j.data_crc32c records "), inDir(e));
      assertTrue(inDir(e).endsWith("(corrupted file)"), inDir(e));
    }
    // the header alone is still well formed: only a full read can see the damage
    SafeTensorsReader.readHeader(flipped);
  }

  @Test
  void shapeThatDisagreesWithTheOffsetsIsReportedWithBothByteCounts() throws IOException {
    String header = json("{'h.0.attn.c_attn.weight':{'dtype':'F32','shape':[64,192],'data_offsets':[0,49148]}}");
    Path file = HandAssembledFile.write(dir.resolve("model.safetensors"), header, 0, new byte[49148]);

    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> SafeTensorsReader.read(file));

    assertEquals("model.safetensors: tensor h.0.attn.c_attn.weight: shape [64, 192] needs 49152 bytes, "
        + "data_offsets give 49148", inDir(e));
  }

  @Test
  void headerLengthLargerThanTheFileIsReported() throws IOException {
    byte[] bytes = HandAssembledFile.bytes("{}", 0, new byte[0]);
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000);
    Path file = Files.write(dir.resolve("model.safetensors"), bytes);

    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> SafeTensorsReader.read(file));

    assertEquals("model.safetensors: header length 1000 is larger than the 2 bytes after the length prefix "
        + "(truncated file?)", inDir(e));
  }

  @Test
  void headerLengthAboveTheLimitIsRefusedBeforeAllocating() throws IOException {
    byte[] bytes = HandAssembledFile.bytes("{}", 0, new byte[0]);
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L); // 2^64 - 1 unsigned
    Path file = Files.write(dir.resolve("model.safetensors"), bytes);

    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> SafeTensorsReader.read(file));

    assertEquals("model.safetensors: header length 18446744073709551615 exceeds the limit of 100000000 bytes",
        inDir(e));
  }

  /** A header, the data-section size that goes with it, and the message it must produce. */
  static Stream<Arguments> malformedHeaders() {
    return Stream.of(
        Arguments.of("bad JSON", "{'w':{'dtype':'F32',", 0,
            "model.safetensors: header is not valid JSON"),
        Arguments.of("unknown dtype", "{'w':{'dtype':'F8_E4M3','shape':[4],'data_offsets':[0,4]}}", 4,
            "model.safetensors: tensor w: unknown dtype \"F8_E4M3\", expected one of F32, F64, F16, BF16, I32, I64"),
        Arguments.of("overlapping offsets", "{'a':{'dtype':'F32','shape':[2],'data_offsets':[0,8]},"
                + "'b':{'dtype':'F32','shape':[2],'data_offsets':[4,12]}}", 12,
            "model.safetensors: tensor b: data_offsets [4, 12] overlap tensor a, which ends at 8"),
        Arguments.of("gap between tensors", "{'a':{'dtype':'F32','shape':[2],'data_offsets':[0,8]},"
                + "'b':{'dtype':'F32','shape':[2],'data_offsets':[12,20]}}", 20,
            "model.safetensors: tensor b: data_offsets [12, 20] leave a gap of 4 bytes after tensor a; "
                + "expected begin 8"),
        Arguments.of("gap before the first tensor", "{'a':{'dtype':'F32','shape':[2],'data_offsets':[4,12]}}", 12,
            "model.safetensors: tensor a: data_offsets [4, 12] leave a gap of 4 bytes after the start of the data; "
                + "expected begin 0"),
        Arguments.of("bytes after the last tensor", "{'a':{'dtype':'F32','shape':[2],'data_offsets':[0,8]}}", 12,
            "model.safetensors: tensors end at data byte 8 but the file holds 12 data bytes; "
                + "the last 4 belong to no tensor"),
        Arguments.of("duplicate tensor name", "{'a':{'dtype':'F32','shape':[1],'data_offsets':[0,4]},"
                + "'a':{'dtype':'F32','shape':[1],'data_offsets':[4,8]}}", 8,
            "model.safetensors: header is not valid JSON (at byte"),
        Arguments.of("junk after the object", "{} x", 0,
            "model.safetensors: header is not valid JSON"),
        Arguments.of("header not an object", "[1, 2]", 0,
            "model.safetensors: header must be a JSON object, found ARRAY"),
        Arguments.of("empty header", "", 0,
            "model.safetensors: header is empty, expected a JSON object"),
        Arguments.of("metadata value not a string", "{'__metadata__':{'step':7}}", 0,
            "model.safetensors: __metadata__ value for \"step\" must be a string, found NUMBER"),
        Arguments.of("missing dtype", "{'w':{'shape':[1],'data_offsets':[0,4]}}", 4,
            "model.safetensors: tensor w: dtype must be a string, found nothing"),
        Arguments.of("negative dimension", "{'w':{'dtype':'F32','shape':[-1],'data_offsets':[0,4]}}", 4,
            "model.safetensors: tensor w: shape must hold integers from 0 to 9223372036854775807, found -1"),
        Arguments.of("fractional offset", "{'w':{'dtype':'F32','shape':[1],'data_offsets':[0,4.0]}}", 4,
            "model.safetensors: tensor w: data_offsets must hold integers from 0 to 9223372036854775807, found 4.0"),
        Arguments.of("three offsets", "{'w':{'dtype':'F32','shape':[1],'data_offsets':[0,4,8]}}", 4,
            "model.safetensors: tensor w: data_offsets must be [begin, end], found 3 numbers"),
        Arguments.of("offsets backwards", "{'w':{'dtype':'F32','shape':[0],'data_offsets':[4,0]}}", 4,
            "model.safetensors: tensor w: data_offsets [4, 0] end before they begin"),
        Arguments.of("shape overflowing a long", "{'w':{'dtype':'F64','shape':[4294967296,4294967296],"
                + "'data_offsets':[0,8]}}", 8,
            "model.safetensors: tensor w: shape [4294967296, 4294967296] of F64 needs more than"),
        Arguments.of("checksum not hex", "{'__metadata__':{'rlhf4j.data_crc32c':'xyz'}}", 0,
            "model.safetensors: metadata rlhf4j.data_crc32c must be 8 hex digits, found \"xyz\""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedHeaders")
  void malformedHeaderIsReportedSpecifically(String problem, String header, int dataBytes, String expected)
      throws IOException {
    Path file = HandAssembledFile.write(dir.resolve("model.safetensors"), json(header), 2, new byte[dataBytes]);

    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> SafeTensorsReader.read(file));

    assertTrue(inDir(e).startsWith(expected), problem + ": " + inDir(e));
  }

  @Test
  void headerThatIsNotUtf8IsReportedAsInvalidJson() throws IOException {
    byte[] header = "{\"w\u00ff\":{}}".getBytes(StandardCharsets.ISO_8859_1);
    byte[] bytes = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN)
        .putLong(header.length).put(header).array();
    Path file = Files.write(dir.resolve("model.safetensors"), bytes);

    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> SafeTensorsReader.read(file));

    assertTrue(inDir(e).startsWith("model.safetensors: header is not valid JSON"), inDir(e));
  }

  @Test
  void fileOfFewerThanEightBytesIsTooShort() throws IOException {
    Path file = Files.write(dir.resolve("model.safetensors"), new byte[] {2, 0, 0});

    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> SafeTensorsReader.read(file));

    assertEquals("model.safetensors: file is 3 bytes, too short for the 8-byte header length", inDir(e));
  }
}
