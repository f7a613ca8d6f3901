package org.rlhf4j.actors.weights;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * Reads a {@link ByteString}'s bytes where they are, in blocks small enough to stay in cache:
 * checksums and copies then take arrays, not a read-only buffer that each of them copies again.
 */
final class BytesInPlace {
  private static final int BLOCK = 64 << 10;

  /** What is done with each block of bytes, in order. */
  interface Blocks {
    void accept(byte[] bytes, int offset, int length);
  }

  private BytesInPlace() {}

  /** Hands {@code data}'s bytes to {@code use} in order, in blocks of at most 64 KiB. */
  static void read(ByteString data, Blocks use) {
    Blocks blocked = (b, off, len) -> {
      for (int at = 0; at < len; at += BLOCK) {
        use.accept(b, off + at, Math.min(BLOCK, len - at));
      }
    };
    try {
      UnsafeByteOperations.unsafeWriteTo(data, new ByteOutput() {
        @Override
        public void write(byte value) {
          blocked.accept(new byte[] {value}, 0, 1);
        }

        @Override
        public void write(byte[] value, int offset, int length) {
          blocked.accept(value, offset, length);
        }

        @Override
        public void writeLazy(byte[] value, int offset, int length) {
          blocked.accept(value, offset, length);
        }

        @Override
        public void write(ByteBuffer value) {
          if (value.hasArray()) {
            blocked.accept(value.array(), value.arrayOffset() + value.position(),
                value.remaining());
          } else {
            byte[] copy = new byte[value.remaining()]; // not the parser's output: rare
            value.duplicate().get(copy);
            blocked.accept(copy, 0, copy.length);
          }
        }

        @Override
        public void writeLazy(ByteBuffer value) {
          write(value);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e); // only a ByteOutput that writes somewhere throws
    }
  }
}
