package org.rlhf4j.model.io;

import static org.rlhf4j.model.io.SafeTensorsHeader.DATA_CRC32C_KEY;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Loads safetensors files with every check the format allows: a damaged or truncated file raises
 * {@link CheckpointFormatException} and nothing is returned, never a partial result.
 */
public final class SafeTensorsReader {
  /** Bytes streamed per read; a multiple of 8 so a chunk never splits an element. */
  static final int CHUNK_BYTES = 1 << 20;

  private SafeTensorsReader() {}

  /** Names, dtypes, shapes and offsets, checked against the file's length, without reading any data. */
  public static SafeTensorsHeader readHeader(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      return HeaderParser.read(channel, file);
    }
  }

  /** Reads every tensor as FLOAT; see {@link #read(Path, DataType)}. */
  public static SafeTensorsFile read(Path file) throws IOException {
    return read(file, DataType.FLOAT);
  }

  /**
   * Reads every tensor, converted to {@code type} (FLOAT or DOUBLE): F16 and BF16 widen exactly,
   * integers convert to the nearest value. Verifies the data checksum when the file has one.
   */
  public static SafeTensorsFile read(Path file, DataType type) throws IOException {
    if (type != DataType.FLOAT && type != DataType.DOUBLE) {
      throw new IllegalArgumentException("tensors can be read as FLOAT or DOUBLE, not " + type);
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      SafeTensorsHeader header = HeaderParser.read(channel, file);
      ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      CRC32C crc = new CRC32C();
      TensorReader reader = new TensorReader(channel, chunk, crc, file);
      Map<String, INDArray> tensors = new LinkedHashMap<>();
      // the header put the tensors in data order, so this reads the file front to back
      for (TensorInfo tensor : header.tensors()) {
        tensors.put(tensor.name(), reader.read(tensor, header.dataStart() + tensor.begin(), type));
      }
      boolean verified = DataChecksum.verify(header.metadata(), crc, file);
      Map<String, String> metadata = new LinkedHashMap<>(header.metadata());
      metadata.remove(DATA_CRC32C_KEY);
      return new SafeTensorsFile(tensors, metadata, verified);
    }
  }

  /** Streams one tensor's bytes through a reused chunk, feeding the checksum on the way. */
  private record TensorReader(FileChannel channel, ByteBuffer chunk, CRC32C crc, Path file) {
    INDArray read(TensorInfo tensor, long position, DataType type) throws IOException {
      long count = tensor.elementCount();
      if (count > Integer.MAX_VALUE - 8) {
        throw new CheckpointFormatException(file, tensor.name(), "shape " + tensor.shape() + " has "
            + count + " elements, more than one Java array holds");
      }
      long[] shape = tensor.shapeArray();
      if (type == DataType.FLOAT) {
        float[] values = new float[(int) count];
        forEachChunk(tensor, position, (buffer, done, n) -> tensor.dtype().decode(buffer, values, done, n));
        return Nd4j.createFromArray(values).reshape('c', shape); // shape as in the header
      }
      double[] values = new double[(int) count];
      forEachChunk(tensor, position, (buffer, done, n) -> tensor.dtype().decode(buffer, values, done, n));
      return Nd4j.createFromArray(values).reshape('c', shape); // shape as in the header
    }

    private void forEachChunk(TensorInfo tensor, long position, ChunkDecoder decoder) throws IOException {
      int elementBytes = tensor.dtype().byteSize();
      long remaining = tensor.byteLength();
      long next = position;
      int decoded = 0;
      while (remaining > 0) {
        int bytes = (int) Math.min(chunk.capacity(), remaining);
        chunk.clear().limit(bytes);
        ChannelIo.readFully(channel, chunk, next, file, "tensor " + tensor.name());
        chunk.flip();
        crc.update(chunk);
        chunk.rewind();
        decoder.decode(chunk, decoded, bytes / elementBytes);
        decoded += bytes / elementBytes;
        next += bytes;
        remaining -= bytes;
      }
    }
  }

  @FunctionalInterface
  private interface ChunkDecoder {
    void decode(ByteBuffer chunk, int elementsDone, int elementCount);
  }
}
