package org.rlhf4j.actors.weights;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.model.NativeArrays;
import org.rlhf4j.model.ParameterSpec;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.protocol.pb.DType;
import org.rlhf4j.protocol.pb.Tensor;
import org.rlhf4j.protocol.pb.WeightsUpdate;

/**
 * Cuts a policy version into {@code WeightsUpdate} chunks of bounded size, on demand and in
 * order: the parameters' float32 tensors in layout order, a tensor larger than what is left of a
 * chunk split into pieces, each piece CRC32C-checked; the version's SHA-256, computed as the
 * chunks are cut, travels in the last chunk, so the first chunks can be on the wire before the
 * last is cut. Artery drops a message above its frame size with only a log line, so nothing on
 * the wire may depend on a whole model fitting one. Owned by one actor; the parameters must not
 * change while it cuts them.
 */
public final class WeightChunks {
  private final ParameterStore params;
  private final long version;
  private final boolean base;
  private final int maxChunkBytes;
  private final int count;
  private final List<WeightsUpdate> cut = new ArrayList<>();
  private final MessageDigest sha256 = sha256();
  private final ByteBuffer flat;
  private int spec;
  private int forgotten; // chunks before it were dropped
  private long done; // elements of the current spec already cut

  /**
   * The chunks of {@code params} as version {@code version}, each holding at most
   * {@code maxChunkBytes} bytes of tensor data.
   *
   * @throws IllegalArgumentException when the parameters are not float32 or the size is below 4
   */
  public WeightChunks(ParameterStore params, long version, int maxChunkBytes) {
    this(params, version, maxChunkBytes, false);
  }

  /**
   * Like {@link #WeightChunks(ParameterStore, long, int)}; with {@code base} the chunks say they
   * carry the frozen base that LoRA versions apply to, not a policy version.
   */
  public WeightChunks(ParameterStore params, long version, int maxChunkBytes, boolean base) {
    if (params.dtype() != DataType.FLOAT) {
      throw new IllegalArgumentException("weights travel as float32, got " + params.dtype());
    }
    if (maxChunkBytes < Float.BYTES) {
      throw new IllegalArgumentException("a chunk must hold at least one float, got "
          + maxChunkBytes + " bytes");
    }
    this.params = params;
    this.version = version;
    this.base = base;
    this.maxChunkBytes = maxChunkBytes;
    long perChunk = maxChunkBytes / Float.BYTES;
    this.count = Math.toIntExact(Math.max(1,
        (params.layout().totalSize() + perChunk - 1) / perChunk));
    this.flat = littleEndian(params);
  }

  /** Every chunk of {@code params} as version {@code version}, cut at once. */
  public static List<WeightsUpdate> of(ParameterStore params, long version, int maxChunkBytes) {
    WeightChunks chunks = new WeightChunks(params, version, maxChunkBytes);
    List<WeightsUpdate> all = new ArrayList<>(chunks.count());
    for (int i = 0; i < chunks.count(); i++) {
      all.add(chunks.get(i));
    }
    return all;
  }

  /** How many chunks the version has. */
  public int count() {
    return count;
  }

  /** The version these chunks carry. */
  public long version() {
    return version;
  }

  /**
   * Chunk {@code i}, cutting it and those before it if not cut yet.
   *
   * @throws IllegalStateException when chunk {@code i} was {@linkplain #forgetBefore forgotten}
   */
  public WeightsUpdate get(int i) {
    if (i < forgotten) {
      throw new IllegalStateException("chunk " + i + " of version " + version
          + " was forgotten; chunks from " + forgotten + " on are kept");
    }
    while (cut.size() <= i) {
      cutNext();
    }
    return cut.get(i);
  }

  /**
   * Drops the chunks before {@code i}, which no reader needs again: a version's bytes are not
   * all kept on the heap until the next version (G's are 0.5 GB).
   */
  public void forgetBefore(int i) {
    for (int j = forgotten; j < Math.min(i, cut.size()); j++) {
      cut.set(j, null);
    }
    forgotten = Math.max(forgotten, Math.min(i, cut.size()));
  }

  /** The same version cut again from its first chunk, for a reader that needs forgotten ones. */
  public WeightChunks cutAgain() {
    return new WeightChunks(params, version, maxChunkBytes, base);
  }

  /** The first chunk still kept; those before it were forgotten. */
  public int firstKept() {
    return forgotten;
  }

  private void cutNext() {
    List<ParameterSpec> specs = params.layout().specs();
    List<Tensor> pieces = new ArrayList<>();
    long room = maxChunkBytes / Float.BYTES; // floats left in this chunk
    while (room > 0 && spec < specs.size()) {
      ParameterSpec s = specs.get(spec);
      long n = Math.min(s.size() - done, room);
      byte[] data = new byte[Math.toIntExact(n * Float.BYTES)];
      flat.get(Math.toIntExact((s.offset() + done) * Float.BYTES), data);
      sha256.update(data);
      pieces.add(piece(s, done, data));
      done += n;
      room -= n;
      if (done == s.size()) {
        spec++;
        done = 0;
      }
    }
    WeightsUpdate.Builder chunk = WeightsUpdate.newBuilder().setVersion(version)
        .setChunk(cut.size()).setChunks(count).setBase(base).addAllTensors(pieces);
    if (cut.size() == count - 1) {
      chunk.setSha256(HexFormat.of().formatHex(sha256.digest()));
    }
    cut.add(chunk.build());
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** CRC32C of {@code data}. */
  static int crc32c(ByteString data) {
    CRC32C crc = new CRC32C();
    BytesInPlace.read(data, crc::update);
    return (int) crc.getValue();
  }

  /**
   * The parameters' bytes, little-endian as the wire carries them, from their first element
   * (a store that views part of a larger one, such as a model's body, starts inside it).
   */
  static ByteBuffer littleEndian(ParameterStore params) {
    if (params.flat().isEmpty()) {
      return ByteBuffer.allocate(0);
    }
    ByteBuffer bytes = NativeArrays.bytesInPlace(params.flat());
    if (bytes == null) {
      throw new IllegalStateException("weights on the wire are read in place: a dense buffer"
          + " under 2 GB on a little-endian machine");
    }
    return bytes;
  }

  private static Tensor piece(ParameterSpec spec, long offset, byte[] data) {
    // no copy: data is this chunk's own array and nothing writes it after this
    ByteString bytes = UnsafeByteOperations.unsafeWrap(data);
    Tensor.Builder t = Tensor.newBuilder().setName(spec.name()).setDtype(DType.DTYPE_F32)
        .setOffset(offset).setData(bytes).setCrc32C(crc32c(bytes));
    for (long d : spec.shape()) {
      t.addShape(d);
    }
    return t.build();
  }
}
