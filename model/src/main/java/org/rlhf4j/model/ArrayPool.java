package org.rlhf4j.model;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Native buffers kept for reuse by type and length, so a training step of a shape seen before
 * maps no new memory (PyTorch's caching allocator; llm.c sizes one arena per shape).
 *
 * <p>Why: a fresh ND4J array is fresh pages, and faulting them in took a fifth of a small model's
 * step and most of a large one's system time (BENCHMARKS.md). Bounds: a buffer no one has asked
 * for in a while is freed (a shape of a stage that is over), and the pool never holds more than
 * 1.5 times the most its arrays have held at once (the buffers returned longest ago go first). {@link NativeArrays#release} returns a pooled array; nothing may use it after.
 *
 * <p>Large float buffers come in size classes an eighth of an octave apart (at most 12.5% unused),
 * so a batch a little shorter than the last one, as a PPO round's or an SFT step's often is,
 * reuses its memory instead of mapping new (llm.c's arena: grow on a longer batch, never shrink
 * per step). A shorter array gets a buffer of its own length over the start of the larger one,
 * not a view, so it stays dense from offset 0 for the kernels and ND4J alike. When its own class
 * has no free buffer, a free one up to an octave larger serves it: a PPO round's logits have as
 * many rows as its response tokens, so successive rounds land in different classes, and each
 * class's buffer went stale before its length came round again (the learner mapped a fresh
 * buffer of up to 17 MB every round).
 */
public final class ArrayPool {
  /** Takes after which a free buffer nobody took is freed (a training step of S takes ~100). */
  static final long STALE_TAKES = 400;
  /** Float lengths from which buffers come in size classes: 256 KiB, above glibc's mmap threshold. */
  static final long SIZE_CLASSES_FROM = 1 << 16;
  /** Classes above its own that may serve a request (eight: up to an octave, 56% unused at most). */
  static final int LARGER_CLASSES = 8;

  /** The pool the model's passes take their activations and gradients from. */
  public static final ArrayPool SHARED = new ArrayPool();

  private final Map<Key, ArrayDeque<DataBuffer>> free = new HashMap<>();
  private final Set<Entry> returnOrder = new LinkedHashSet<>();
  private final Set<DataBuffer> owned = Collections.newSetFromMap(new IdentityHashMap<>());
  // the array each free buffer was last returned as: handed out again for the same shape, since
  // a new ND4J array over a buffer leaves ~170 bytes of native shape information that only the
  // collector frees (BENCHMARKS.md, session 19)
  private final Map<DataBuffer, INDArray> lastArray = new IdentityHashMap<>();
  // the pooled buffer under each shorter buffer handed out over its start, and the other way
  // round; one each, as a pooled buffer has one user at a time
  private final Map<DataBuffer, DataBuffer> backing = new IdentityHashMap<>();
  private final Map<DataBuffer, DataBuffer> prefix = new IdentityHashMap<>();
  private long liveBytes;
  private long freeBytes;
  private long highWater;
  private long allocations;
  private long takes;

  /** A dense c-order array; its contents are undefined. */
  public INDArray take(DataType dt, long... shape) {
    long length = 1;
    for (long d : shape) {
      length *= d;
    }
    long capacity = capacity(dt, length);
    DataBuffer buffer = reuse(dt, capacity);
    synchronized (this) {
      takes++;
      INDArray last = buffer == null ? null : lastArray.get(buffer);
      if (last != null && Arrays.equals(last.shape(), shape) && last.ordering() == 'c'
          && Shape.hasDefaultStridesForShape(last)) {
        return last;
      }
    }
    if (buffer == null) {
      buffer = Nd4j.createBuffer(dt, capacity, false);
      synchronized (this) {
        owned.add(buffer);
        allocations++;
        liveBytes += bytes(buffer);
        highWater = Math.max(highWater, liveBytes);
      }
    }
    if (buffer.length() == length) {
      return Nd4j.create(buffer, shape);
    }
    FloatPointer start = new FloatPointer(buffer.addressPointer());
    start.capacity(length).limit(length);
    DataBuffer head = Nd4j.createBuffer(start, dt, length, FloatIndexer.create(start));
    synchronized (this) {
      backing.put(head, buffer);
      DataBuffer before = prefix.put(buffer, head);
      if (before != null) {
        backing.remove(before);
      }
    }
    return Nd4j.create(head, shape);
  }

  /** The length of the buffer an array of {@code length} elements gets: its size class. */
  static long capacity(DataType dt, long length) {
    if (dt != DataType.FLOAT || length <= SIZE_CLASSES_FROM) {
      return length;
    }
    int shift = 63 - Long.numberOfLeadingZeros(length) - 3; // eighths of the power of two below
    long step = 1L << shift;
    return (length + step - 1) / step * step;
  }

  /** A dense c-order array of zeros. */
  public INDArray zeros(DataType dt, long... shape) {
    return NativeArrays.zero(take(dt, shape));
  }

  /** A dense copy of {@code a}. */
  public INDArray copy(INDArray a) {
    return take(a.dataType(), a.shape()).assign(a);
  }

  /** Takes {@code a}'s buffer back when it is one of this pool's; false when it is not. */
  boolean give(INDArray a) {
    synchronized (this) {
      DataBuffer buffer = pooled(a.data());
      if (!owned.contains(buffer) || a.isView()) {
        return false;
      }
      if (isFree(buffer)) {
        return true; // released twice
      }
      Key key = new Key(buffer.dataType(), buffer.length());
      free.computeIfAbsent(key, k -> new ArrayDeque<>()).push(buffer);
      lastArray.put(buffer, a);
      returnOrder.add(new Entry(key, buffer, takes));
      long size = bytes(buffer);
      liveBytes -= size;
      freeBytes += size;
      trim();
      return true;
    }
  }

  /** The pooled buffer {@code data} is, or starts, or {@code data} itself. */
  private DataBuffer pooled(DataBuffer data) {
    return backing.getOrDefault(data, data);
  }

  /** Whether {@code a}'s buffer is back in this pool, ready for reuse. */
  synchronized boolean holds(INDArray a) {
    return isFree(pooled(a.data()));
  }

  private boolean isFree(DataBuffer buffer) {
    ArrayDeque<DataBuffer> queue = free.get(new Key(buffer.dataType(), buffer.length()));
    return queue != null && queue.stream().anyMatch(b -> b == buffer);
  }

  /** Buffers this pool has allocated since it was made. */
  public synchronized long allocations() {
    return allocations;
  }

  /** Bytes of the buffers under arrays taken and not yet released (whole size classes). */
  public synchronized long liveBytes() {
    return liveBytes;
  }

  /** A free buffer of class {@code capacity}, else of the smallest larger class allowed; or null. */
  private synchronized DataBuffer reuse(DataType dt, long capacity) {
    long c = capacity;
    for (int larger = 0; larger <= LARGER_CLASSES; larger++) {
      ArrayDeque<DataBuffer> queue = free.get(new Key(dt, c));
      if (queue != null && !queue.isEmpty()) {
        return reuse(new Key(dt, c), queue.pop());
      }
      if (dt != DataType.FLOAT || c <= SIZE_CLASSES_FROM) {
        return null; // lengths below the size classes are matched exactly
      }
      c = capacity(dt, c + 1);
    }
    return null;
  }

  private DataBuffer reuse(Key key, DataBuffer buffer) {
    returnOrder.remove(new Entry(key, buffer, 0));
    long size = bytes(buffer);
    freeBytes -= size;
    liveBytes += size;
    highWater = Math.max(highWater, liveBytes);
    return buffer;
  }

  /**
   * Frees every buffer no one has asked for in {@link #STALE_TAKES} takes, and the buffers
   * returned longest ago while the pool holds more than 1.5 times its high-water mark (a step
   * also keeps the free buffers it needs later while its live bytes peak).
   */
  private void trim() {
    Iterator<Entry> oldest = returnOrder.iterator();
    while (oldest.hasNext()) {
      Entry e = oldest.next();
      if (2 * (liveBytes + freeBytes) <= 3 * highWater && takes - e.returnedAt < STALE_TAKES) {
        break;
      }
      oldest.remove();
      ArrayDeque<DataBuffer> queue = free.get(e.key);
      queue.removeIf(b -> b == e.buffer);
      owned.remove(e.buffer);
      lastArray.remove(e.buffer);
      DataBuffer head = prefix.remove(e.buffer);
      if (head != null) {
        backing.remove(head);
      }
      freeBytes -= bytes(e.buffer);
      e.buffer.close();
    }
  }

  private static long bytes(DataBuffer buffer) {
    return buffer.length() * buffer.getElementSize();
  }

  private record Key(DataType dataType, long length) {}

  /** A returned buffer, equal only to an entry for the same buffer (identity, not contents). */
  private record Entry(Key key, DataBuffer buffer, long returnedAt) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Entry e && e.buffer == buffer;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(buffer);
    }
  }
}
