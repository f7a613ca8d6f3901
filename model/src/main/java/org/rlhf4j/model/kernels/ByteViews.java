package org.rlhf4j.model.kernels;

import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.nd4j.linalg.api.buffer.DataBuffer;

/**
 * The little-endian ByteBuffer over a native buffer's memory, made once per buffer and then
 * found again by identity: a direct-mapped table whose entries hold their buffer weakly.
 *
 * <p>Why: {@code DataBuffer.asNio()} makes a new direct ByteBuffer through JNI on every call,
 * 0.2-0.6 µs here, and a kernel call took two to six of them: a tenth of S's decode step
 * (BENCHMARKS.md). The decoder's and the pool's buffers are the same objects step after step.
 * Entries are immutable and published through final fields, so threads share the table
 * without locks; a lost race only makes one view twice. A view is used only while the caller
 * holds its buffer, so a buffer freed and collected is never read through a stale view; a
 * closed buffer still held goes to {@code asNio}, which refuses it, as before.
 */
final class ByteViews {
  private static final int SLOTS = 1 << 10;
  private static final Entry[] TABLE = new Entry[SLOTS];

  private static final class Entry {
    final WeakReference<DataBuffer> buffer;
    final ByteBuffer bytes;

    Entry(DataBuffer buffer, ByteBuffer bytes) {
      this.buffer = new WeakReference<>(buffer);
      this.bytes = bytes;
    }
  }

  private ByteViews() {}

  /** {@code buffer}'s memory as a little-endian ByteBuffer; use it only while holding buffer. */
  static ByteBuffer of(DataBuffer buffer) {
    int slot = System.identityHashCode(buffer) & (SLOTS - 1);
    Entry e = TABLE[slot];
    if (e != null && e.buffer.get() == buffer && !buffer.wasClosed()) {
      return e.bytes;
    }
    ByteBuffer bytes = buffer.asNio().order(ByteOrder.LITTLE_ENDIAN);
    TABLE[slot] = new Entry(buffer, bytes);
    return bytes;
  }
}
