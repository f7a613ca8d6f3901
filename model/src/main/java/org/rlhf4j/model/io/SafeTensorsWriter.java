package org.rlhf4j.model.io;

import static org.rlhf4j.model.io.SafeTensorsHeader.DATA_CRC32C_KEY;
import static org.rlhf4j.model.io.SafeTensorsHeader.LENGTH_PREFIX_BYTES;
import static org.rlhf4j.model.io.SafeTensorsHeader.METADATA_KEY;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.model.NativeArrays;

/**
 * Writes safetensors files atomically (see {@link AtomicFiles}), with a CRC32C of the data section
 * in the metadata so {@link SafeTensorsReader} can tell a flipped bit from a good file.
 */
public final class SafeTensorsWriter {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CHUNK_BYTES = 1 << 20;
  // Hugging Face pads the header to a multiple of 8 so every tensor's data can be mapped aligned
  private static final int HEADER_ALIGNMENT = 8;

  private SafeTensorsWriter() {}

  /**
   * Replaces {@code target} with {@code tensors}, in map order, stored as {@code dtype} (F32 or F64).
   * Arrays of any numeric type and layout are converted and written row-major.
   *
   * @param metadata free-form strings for {@code __metadata__}; may be null; must not use
   *     {@link SafeTensorsHeader#DATA_CRC32C_KEY}, which the writer owns
   */
  public static void write(Path target, LinkedHashMap<String, INDArray> tensors, Map<String, String> metadata,
      DType dtype) throws IOException {
    Map<String, String> userMetadata = checkMetadata(metadata);
    // one snapshot for both passes, so the header and the data cannot disagree about the map
    List<Map.Entry<String, INDArray>> entries = checkTensors(tensors, dtype);
    List<TensorInfo> layout = layOut(entries, dtype);
    // the checksum is fixed-width, so the placeholder header is exactly as long as the final one
    int headerLength = encodeHeader(layout, userMetadata, DataChecksum.PLACEHOLDER).length;
    AtomicFiles.writeAtomically(target, temp -> {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        channel.position(LENGTH_PREFIX_BYTES + headerLength);
        CRC32C crc = writeData(channel, entries, layout);
        byte[] header = encodeHeader(layout, userMetadata, DataChecksum.format(crc));
        if (header.length != headerLength) {
          throw new IllegalStateException("header grew from " + headerLength + " to " + header.length + " bytes");
        }
        channel.position(0);
        ByteBuffer prefix = ByteBuffer.allocate(LENGTH_PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        ChannelIo.writeFully(channel, prefix.putLong(0, header.length));
        ChannelIo.writeFully(channel, ByteBuffer.wrap(header));
      }
    });
  }

  private static Map<String, String> checkMetadata(Map<String, String> metadata) {
    Map<String, String> copy = new LinkedHashMap<>(metadata == null ? Map.of() : metadata);
    if (copy.containsKey(DATA_CRC32C_KEY)) {
      throw new IllegalArgumentException("metadata key " + DATA_CRC32C_KEY + " is reserved for the writer's checksum");
    }
    copy.forEach((key, value) -> {
      if (key == null || value == null) {
        throw new IllegalArgumentException("metadata must map strings to strings, found " + key + " -> " + value);
      }
    });
    return copy;
  }

  private static List<Map.Entry<String, INDArray>> checkTensors(LinkedHashMap<String, INDArray> tensors, DType dtype) {
    if (dtype != DType.F32 && dtype != DType.F64) {
      throw new IllegalArgumentException("tensors can be written as F32 or F64, not " + dtype);
    }
    List<Map.Entry<String, INDArray>> entries = new ArrayList<>();
    tensors.forEach((name, array) -> {
      if (name == null || name.equals(METADATA_KEY)) {
        throw new IllegalArgumentException("tensor name " + name + " is not allowed");
      }
      if (array == null || !array.dataType().isNumerical()) {
        throw new IllegalArgumentException("tensor " + name + " must be a numeric array, found "
            + (array == null ? "null" : array.dataType()));
      }
      entries.add(Map.entry(name, array));
    });
    return entries;
  }

  private static List<TensorInfo> layOut(List<Map.Entry<String, INDArray>> entries, DType dtype) {
    List<TensorInfo> layout = new ArrayList<>();
    long next = 0;
    for (Map.Entry<String, INDArray> entry : entries) {
      long[] shape = entry.getValue().shape();
      long end = next + entry.getValue().length() * dtype.byteSize();
      layout.add(new TensorInfo(entry.getKey(), dtype, Arrays.stream(shape).boxed().toList(), next, end));
      next = end;
    }
    return layout;
  }

  private static byte[] encodeHeader(List<TensorInfo> layout, Map<String, String> metadata, String checksum)
      throws JsonProcessingException {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode metadataNode = root.putObject(METADATA_KEY);
    metadata.forEach(metadataNode::put);
    metadataNode.put(DATA_CRC32C_KEY, checksum);
    for (TensorInfo tensor : layout) {
      ObjectNode entry = root.putObject(tensor.name());
      entry.put("dtype", tensor.dtype().name());
      ArrayNode shape = entry.putArray("shape");
      tensor.shape().forEach(shape::add);
      entry.putArray("data_offsets").add(tensor.begin()).add(tensor.end());
    }
    byte[] json = JSON.writeValueAsBytes(root);
    int padded = (json.length + HEADER_ALIGNMENT - 1) / HEADER_ALIGNMENT * HEADER_ALIGNMENT;
    byte[] header = Arrays.copyOf(json, padded);
    Arrays.fill(header, json.length, padded, (byte) ' ');
    return header;
  }

  /** Writes each tensor's elements, row-major and little-endian, at the channel's position. */
  private static CRC32C writeData(FileChannel channel, List<Map.Entry<String, INDArray>> entries,
      List<TensorInfo> layout) throws IOException {
    ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    CRC32C crc = new CRC32C();
    for (int i = 0; i < entries.size(); i++) {
      INDArray array = entries.get(i).getValue();
      ByteBuffer inPlace = layout.get(i).dtype() == DType.F32
          && array.dataType() == DataType.FLOAT ? NativeArrays.bytesInPlace(array) : null;
      if (inPlace != null) {
        writeChunk(channel, inPlace, crc); // already row-major little-endian floats
      } else if (layout.get(i).dtype() == DType.F32) {
        writeFloats(channel, rowMajorFloats(array), chunk, crc);
      } else {
        writeDoubles(channel, rowMajorDoubles(array), chunk, crc);
      }
    }
    return crc;
  }

  private static void writeFloats(FileChannel channel, float[] values, ByteBuffer chunk, CRC32C crc)
      throws IOException {
    for (int done = 0; done < values.length; ) {
      int n = Math.min(values.length - done, chunk.capacity() / Float.BYTES);
      chunk.clear();
      chunk.asFloatBuffer().put(values, done, n);
      writeChunk(channel, chunk.limit(n * Float.BYTES), crc);
      done += n;
    }
  }

  private static void writeDoubles(FileChannel channel, double[] values, ByteBuffer chunk, CRC32C crc)
      throws IOException {
    for (int done = 0; done < values.length; ) {
      int n = Math.min(values.length - done, chunk.capacity() / Double.BYTES);
      chunk.clear();
      chunk.asDoubleBuffer().put(values, done, n);
      writeChunk(channel, chunk.limit(n * Double.BYTES), crc);
      done += n;
    }
  }

  private static void writeChunk(FileChannel channel, ByteBuffer chunk, CRC32C crc) throws IOException {
    crc.update(chunk);
    chunk.rewind();
    ChannelIo.writeFully(channel, chunk);
  }

  /** The elements in row-major order, whatever the array's ordering, strides or type. */
  private static float[] rowMajorFloats(INDArray array) {
    if (array.isEmpty()) {
      return new float[0];
    }
    return array.castTo(DataType.FLOAT).dup('c').reshape(array.length()).toFloatVector(); // (N,)
  }

  private static double[] rowMajorDoubles(INDArray array) {
    if (array.isEmpty()) {
      return new double[0];
    }
    return array.castTo(DataType.DOUBLE).dup('c').reshape(array.length()).toDoubleVector(); // (N,)
  }
}
