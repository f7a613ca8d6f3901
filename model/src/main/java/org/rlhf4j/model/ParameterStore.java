package org.rlhf4j.model;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Named tensors that are views into one contiguous buffer, so that a snapshot, a copy, a checksum
 * or a broadcast is one operation. Parameters, gradients and optimizer moments all use this type
 * with the same {@link ParameterLayout}.
 */
public final class ParameterStore {
  private final ParameterLayout layout;
  private final INDArray flat; // (P)
  private final Map<String, INDArray> views;

  private ParameterStore(ParameterLayout layout, INDArray flat) {
    if (flat.length() != layout.totalSize()) {
      throw new IllegalArgumentException("buffer has " + flat.length() + " elements, layout needs "
          + layout.totalSize());
    }
    this.layout = layout;
    this.flat = flat;
    Map<String, INDArray> map = new LinkedHashMap<>();
    for (ParameterSpec s : layout.specs()) {
      map.put(s.name(), flat.get(NDArrayIndex.interval(s.offset(), s.offset() + s.size()))
          .reshape(s.shape()));
    }
    this.views = map;
  }

  /** A store of zeros. */
  public static ParameterStore zeros(ParameterLayout layout, DataType dtype) {
    return new ParameterStore(layout, Nd4j.zeros(dtype, layout.totalSize()));
  }

  /** A store over an existing flat buffer of {@code layout.totalSize()} elements (not copied). */
  public static ParameterStore wrap(ParameterLayout layout, INDArray flat) {
    return new ParameterStore(layout, flat.reshape(flat.length()));
  }

  /** The tensors from {@code first} to the end, as a store that views this one's buffer. */
  public ParameterStore suffix(String first) {
    ParameterLayout sub = layout.suffix(first);
    long start = layout.spec(first).offset();
    return new ParameterStore(sub, flat.get(NDArrayIndex.interval(start, layout.totalSize())));
  }

  /**
   * The first tensors of this store, laid out as {@code sub} (which must begin this store's
   * layout), as a store that views this one's buffer.
   */
  public ParameterStore prefix(ParameterLayout sub) {
    List<ParameterSpec> mine = layout.specs();
    List<ParameterSpec> theirs = sub.specs();
    if (theirs.size() > mine.size() || !mine.subList(0, theirs.size()).equals(theirs)) {
      throw new IllegalArgumentException("the layout is not the beginning of this store's");
    }
    return new ParameterStore(sub, flat.get(NDArrayIndex.interval(0, sub.totalSize())));
  }

  /** The named tensor, or null when this store has none of that name. */
  public INDArray find(String name) {
    return views.get(name);
  }

  public ParameterLayout layout() {
    return layout;
  }

  public DataType dtype() {
    return flat.dataType();
  }

  /** The whole buffer, {@code (P)}. */
  public INDArray flat() {
    return flat;
  }

  /** The named tensor: a view, so writes go to the store. */
  public INDArray get(String name) {
    INDArray v = views.get(name);
    if (v == null) {
      throw new IllegalArgumentException("no parameter named " + name);
    }
    return v;
  }

  /** A deep copy that shares nothing mutable with this store. */
  public ParameterStore copy() {
    return new ParameterStore(layout, flat.dup());
  }

  /** A deep copy in another element type. */
  public ParameterStore copy(DataType dtype) {
    return new ParameterStore(layout, flat.castTo(dtype).dup());
  }

  /**
   * Frees the buffer now rather than when the collector finds its wrapper: for a copy its last
   * reader is done with. Nothing may read this store, or a view of it, afterwards; a store over
   * a view of another array frees nothing.
   */
  public void release() {
    NativeArrays.release(flat);
  }

  /** Zeros of the same layout and type (gradients, moments). */
  public ParameterStore zerosLike() {
    return zeros(layout, dtype());
  }

  public void zero() {
    NativeArrays.zero(flat);
  }

  /** Overwrites every value with {@code other}'s; layouts must match. */
  public void copyFrom(ParameterStore other) {
    if (!other.layout.equals(layout)) {
      throw new IllegalArgumentException("layouts differ");
    }
    flat.assign(other.flat);
  }

  /** SHA-256 of the little-endian bytes of the flat buffer: equal iff bit-identical. */
  public String sha256() {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      ByteBuffer bytes = flat.isEmpty() ? ByteBuffer.allocate(0)
          : NativeArrays.bytesInPlace(flat);
      if (bytes == null) {
        throw new IllegalStateException("checksums read a dense buffer under 2 GB on a "
            + "little-endian machine");
      }
      md.update(bytes);
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Sum of squares of every element, as a double. */
  public double squaredNorm() {
    double norm = flat.norm2Number().doubleValue();
    return norm * norm;
  }
}
