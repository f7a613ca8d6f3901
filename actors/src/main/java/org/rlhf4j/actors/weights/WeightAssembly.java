package org.rlhf4j.actors.weights;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.rlhf4j.model.ParameterLayout;
import org.rlhf4j.model.ParameterSpec;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.protocol.pb.DType;
import org.rlhf4j.protocol.pb.Tensor;
import org.rlhf4j.protocol.pb.WeightsUpdate;

/**
 * Puts {@link WeightChunks} back together on a receiving node, in any order: a version is handed
 * out only when every chunk arrived, each piece's CRC32C and the whole version's SHA-256 matched.
 * A chunk of a newer version drops the one being assembled (a worker that missed versions jumps
 * to the newest); chunks of older versions, and repeats, are ignored. A version is written into
 * a store {@linkplain #recycle handed back} when there is one: a fresh one costs more than the
 * copy (the kernel zeroes every page of G's 0.5 GB). Owned by one actor.
 */
public final class WeightAssembly {
  private final ParameterLayout layout;
  private long delivered = -1; // newest version handed out
  private long version = -1; // version being assembled, or -1
  private ParameterStore store;
  private ParameterStore spare; // handed back, written by the next version
  private BitSet received;
  private int chunks;
  private String sha256; // from the last chunk, once it arrived
  // the SHA-256 of the bytes written so far, while they arrive in order (the sender's order);
  // pieces out of order turn it off and the whole store is hashed at the end
  private MessageDigest inOrder;
  private long hashedBytes;

  /** An assembly of parameters laid out as {@code layout}. */
  public WeightAssembly(ParameterLayout layout) {
    this.layout = layout;
  }

  /** The version being assembled, if any. */
  public Optional<Long> assembling() {
    return store == null ? Optional.empty() : Optional.of(version);
  }

  /**
   * Takes one chunk; returns the version's parameters when it was the last one missing.
   *
   * @throws CorruptWeightsException when the chunk or the completed version fails a check (the
   *     message names the version, chunk and tensor); the version being assembled is dropped
   */
  public Optional<ParameterStore> accept(WeightsUpdate chunk) {
    long v = chunk.getVersion();
    if (v < 0 || v <= delivered || (store != null && v < version)) {
      return Optional.empty(); // uint64 versions beyond Long.MAX_VALUE are never sent
    }
    if (chunk.getChunks() < 1 || chunk.getChunk() < 0 || chunk.getChunk() >= chunk.getChunks()) {
      throw corrupt(chunk, "no such chunk"); // uint32 fields arrive as ints, maybe negative
    }
    if (store == null || v > version) {
      start(chunk);
    }
    try {
      if (chunk.getChunks() != chunks) {
        throw corrupt(chunk, "its version's chunk count differs from its first chunk's");
      }
      if (received.get(chunk.getChunk())) {
        return Optional.empty();
      }
      for (Tensor t : chunk.getTensorsList()) {
        write(chunk, t);
      }
      received.set(chunk.getChunk());
      if (chunk.getChunk() == chunks - 1) {
        sha256 = chunk.getSha256();
      }
      if (received.cardinality() < chunks) {
        return Optional.empty();
      }
      String got = inOrder != null && hashedBytes == layout.totalSize() * Float.BYTES
          ? HexFormat.of().formatHex(inOrder.digest()) : store.sha256();
      if (!got.equals(sha256)) {
        throw corrupt(chunk, "the assembled version's SHA-256 is " + got + ", not " + sha256);
      }
      ParameterStore done = store;
      delivered = v;
      store = null;
      return Optional.of(done);
    } catch (CorruptWeightsException e) {
      spare = store; // no one else has seen it
      store = null;
      throw e;
    }
  }

  /**
   * Takes back a store this assembly handed out, once nothing reads it any more: the next
   * version is written into it. Only the newest one handed back is kept.
   *
   * @throws IllegalArgumentException when the store is not laid out as this assembly's versions
   */
  public void recycle(ParameterStore handedOut) {
    if (!handedOut.layout().equals(layout)) {
      throw new IllegalArgumentException("a store laid out as " + handedOut.layout().specs().size()
          + " tensors cannot hold versions laid out as this assembly's "
          + layout.specs().size());
    }
    spare = handedOut;
  }

  private void start(WeightsUpdate chunk) {
    version = chunk.getVersion();
    chunks = chunk.getChunks();
    sha256 = null;
    inOrder = WeightChunks.sha256();
    hashedBytes = 0;
    received = new BitSet(chunks);
    // a version dropped half-way leaves its store to the newer one
    if (store == null) {
      store = spare;
      spare = null;
    }
    if (store == null) {
      // not zeroed: every element is written before the version's SHA-256 lets it out
      store = ParameterStore.wrap(layout, Nd4j.createUninitialized(DataType.FLOAT,
          layout.totalSize()));
    }
  }

  private void write(WeightsUpdate chunk, Tensor t) {
    if (!layout.contains(t.getName())) {
      throw corrupt(chunk, "tensor " + t.getName() + " is not a parameter of this model");
    }
    ParameterSpec spec = layout.spec(t.getName());
    long[] shape = t.getShapeList().stream().mapToLong(Long::longValue).toArray();
    if (t.getDtype() != DType.DTYPE_F32 || !Arrays.equals(shape, spec.shape())) {
      throw corrupt(chunk, "tensor " + t.getName() + " is " + t.getDtype() + " "
          + Arrays.toString(shape) + ", expected DTYPE_F32 " + Arrays.toString(spec.shape()));
    }
    int bytes = t.getData().size();
    if (bytes % Float.BYTES != 0 || t.getOffset() < 0
        || t.getOffset() > spec.size() - bytes / Float.BYTES) {
      throw corrupt(chunk, "tensor " + t.getName() + " piece of " + bytes + " bytes at element "
          + t.getOffset() + " does not fit its " + spec.size() + " elements");
    }
    long at = (spec.offset() + t.getOffset()) * Float.BYTES;
    ByteBuffer target = WeightChunks.littleEndian(store).position(Math.toIntExact(at));
    MessageDigest hash = inOrder != null && at == hashedBytes ? inOrder : null;
    CRC32C crc = new CRC32C();
    // one pass while each block is in cache; a piece that fails its CRC drops the whole store
    BytesInPlace.read(t.getData(), (b, off, len) -> {
      crc.update(b, off, len);
      target.put(b, off, len);
      if (hash != null) {
        hash.update(b, off, len);
      }
    });
    if ((int) crc.getValue() != t.getCrc32C()) {
      throw corrupt(chunk, "tensor " + t.getName() + " piece at element " + t.getOffset()
          + " fails its CRC32C");
    }
    if (hash != null) {
      hashedBytes += bytes;
    } else {
      inOrder = null;
    }
  }

  private static CorruptWeightsException corrupt(WeightsUpdate chunk, String what) {
    return new CorruptWeightsException("weights version " + chunk.getVersion() + ", chunk "
        + chunk.getChunk() + " of " + chunk.getChunks() + ": " + what);
  }
}
