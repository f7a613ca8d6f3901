package org.rlhf4j.model.io;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;

/** Element types a safetensors file may hold, spelled as in the header's {@code "dtype"} field. */
public enum DType {
  F32(4),
  F64(8),
  F16(2),
  BF16(2),
  I32(4),
  I64(8);

  private final int byteSize;

  DType(int byteSize) {
    this.byteSize = byteSize;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** The type spelled {@code name} in a header, if it is one of ours. */
  public static Optional<DType> fromHeaderName(String name) {
    return Arrays.stream(values()).filter(t -> t.name().equals(name)).findFirst();
  }

  /**
   * Reads {@code count} little-endian elements from {@code src} (which must be little-endian) into
   * {@code dst[offset..]}, converting to float; integers and F64 round to nearest.
   */
  void decode(ByteBuffer src, float[] dst, int offset, int count) {
    // one switch per chunk rather than per element keeps each loop monomorphic
    switch (this) {
      case F32 -> src.asFloatBuffer().get(dst, offset, count);
      case F64 -> {
        for (int i = 0; i < count; i++) {
          dst[offset + i] = (float) src.getDouble();
        }
      }
      case F16 -> {
        for (int i = 0; i < count; i++) {
          dst[offset + i] = halfToFloat(src.getShort());
        }
      }
      case BF16 -> {
        for (int i = 0; i < count; i++) {
          dst[offset + i] = bfloat16ToFloat(src.getShort());
        }
      }
      case I32 -> {
        for (int i = 0; i < count; i++) {
          dst[offset + i] = src.getInt();
        }
      }
      case I64 -> {
        for (int i = 0; i < count; i++) {
          dst[offset + i] = src.getLong();
        }
      }
    }
  }

  /** As {@link #decode(ByteBuffer, float[], int, int)}, converting to double (exact except I64 beyond 2^53). */
  void decode(ByteBuffer src, double[] dst, int offset, int count) {
    switch (this) {
      case F64 -> src.asDoubleBuffer().get(dst, offset, count);
      case F32 -> {
        for (int i = 0; i < count; i++) {
          dst[offset + i] = src.getFloat();
        }
      }
      case F16 -> {
        for (int i = 0; i < count; i++) {
          dst[offset + i] = halfToFloat(src.getShort());
        }
      }
      case BF16 -> {
        for (int i = 0; i < count; i++) {
          dst[offset + i] = bfloat16ToFloat(src.getShort());
        }
      }
      case I32 -> {
        for (int i = 0; i < count; i++) {
          dst[offset + i] = src.getInt();
        }
      }
      case I64 -> {
        for (int i = 0; i < count; i++) {
          dst[offset + i] = src.getLong();
        }
      }
    }
  }

  /** bfloat16 is the top half of a float32, so widening is a shift. */
  static float bfloat16ToFloat(short bits) {
    return Float.intBitsToFloat(bits << 16);
  }

  /**
   * IEEE 754 binary16 (1 sign, 5 exponent with bias 15, 10 mantissa bits) to float32, exactly.
   * Java 17 has no {@code Float.float16ToFloat}; that arrived in Java 20.
   */
  static float halfToFloat(short bits) {
    int sign = (bits & 0x8000) << 16;
    int exponent = (bits >>> 10) & 0x1f;
    int mantissa = bits & 0x3ff;
    if (exponent == 0x1f) {
      // infinity (mantissa 0) or NaN, payload kept
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      // zero or subnormal: mantissa * 2^-24, exact in float32
      float magnitude = mantissa * 0x1p-24f;
      return sign == 0 ? magnitude : -magnitude;
    }
    // normal: rebias the exponent from 15 to 127
    return Float.intBitsToFloat(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
  }
}
