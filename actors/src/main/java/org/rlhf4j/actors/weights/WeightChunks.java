package org.rlhf4j.actors.weights;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.model.ParameterSpec;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.protocol.pb.DType;
import org.rlhf4j.protocol.pb.Tensor;
import org.rlhf4j.protocol.pb.WeightsUpdate;

/**
 * Cuts a policy version into {@code WeightsUpdate} chunks of bounded size: the parameters'
 * float32 tensors in layout order, a tensor larger than what is left of a chunk split into
 * pieces, each piece CRC32C-checked, every chunk carrying the version's SHA-256. Artery drops a
 * message above its frame size with only a log line, so nothing on the wire may depend on a
 * whole model fitting one.
 */
public final class WeightChunks {
  private WeightChunks() {}

  /**
   * The chunks of {@code params} as version {@code version}, each holding at most
   * {@code maxChunkBytes} bytes of tensor data.
   *
   * @throws IllegalArgumentException when the parameters are not float32 or the size is below 4
   */
  public static List<WeightsUpdate> of(ParameterStore params, long version, int maxChunkBytes) {
    if (params.dtype() != DataType.FLOAT) {
      throw new IllegalArgumentException("weights travel as float32, got " + params.dtype());
    }
    if (maxChunkBytes < Float.BYTES) {
      throw new IllegalArgumentException("a chunk must hold at least one float, got "
          + maxChunkBytes + " bytes");
    }
    ByteBuffer flat = littleEndian(params);
    List<List<Tensor>> pieces = new ArrayList<>();
    List<Tensor> current = new ArrayList<>();
    long room = maxChunkBytes / Float.BYTES; // floats left in the current chunk
    for (ParameterSpec spec : params.layout().specs()) {
      long done = 0;
      while (done < spec.size()) {
        if (room == 0) {
          pieces.add(current);
          current = new ArrayList<>();
          room = maxChunkBytes / Float.BYTES;
        }
        long n = Math.min(spec.size() - done, room);
        byte[] data = new byte[Math.toIntExact(n * Float.BYTES)];
        flat.get(Math.toIntExact((spec.offset() + done) * Float.BYTES), data);
        current.add(piece(spec, done, data));
        done += n;
        room -= n;
      }
    }
    if (!current.isEmpty()) {
      pieces.add(current);
    }
    String sha256 = params.sha256();
    List<WeightsUpdate> chunks = new ArrayList<>(pieces.size());
    for (int i = 0; i < pieces.size(); i++) {
      chunks.add(WeightsUpdate.newBuilder().setVersion(version).setChunk(i)
          .setChunks(pieces.size()).setSha256(sha256).addAllTensors(pieces.get(i)).build());
    }
    return chunks;
  }

  /** CRC32C of {@code data}. */
  static int crc32c(ByteString data) {
    CRC32C crc = new CRC32C();
    crc.update(data.asReadOnlyByteBuffer());
    return (int) crc.getValue();
  }

  /** The parameters' bytes, little-endian as the wire carries them. */
  static ByteBuffer littleEndian(ParameterStore params) {
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      throw new IllegalStateException("weights on the wire assume a little-endian machine");
    }
    return params.flat().data().asNio().duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  private static Tensor piece(ParameterSpec spec, long offset, byte[] data) {
    ByteString bytes = ByteString.copyFrom(data);
    Tensor.Builder t = Tensor.newBuilder().setName(spec.name()).setDtype(DType.DTYPE_F32)
        .setOffset(offset).setData(bytes).setCrc32C(crc32c(bytes));
    for (long d : spec.shape()) {
      t.addShape(d);
    }
    return t.build();
  }
}
