package org.rlhf4j.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class DTypeTest {
  @Test
  void halfPrecisionWidensExactlyIncludingSubnormalsInfinitiesAndSignedZero() {
    assertEquals(1.0f, DType.halfToFloat((short) 0x3C00));
    assertEquals(-2.0f, DType.halfToFloat((short) 0xC000));
    assertEquals(65504.0f, DType.halfToFloat((short) 0x7BFF)); // largest finite half
    assertEquals(0x1p-14f, DType.halfToFloat((short) 0x0400)); // smallest normal
    assertEquals(0x1p-24f, DType.halfToFloat((short) 0x0001)); // smallest subnormal
    assertEquals(0x3FFp-24f, DType.halfToFloat((short) 0x03FF)); // largest subnormal
    assertEquals(Float.POSITIVE_INFINITY, DType.halfToFloat((short) 0x7C00));
    assertEquals(Float.NEGATIVE_INFINITY, DType.halfToFloat((short) 0xFC00));
    assertTrue(Float.isNaN(DType.halfToFloat((short) 0x7E00)));
    assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(DType.halfToFloat((short) 0x8000)));
  }

  @Test
  void everyHalfBitPatternMatchesTheArithmeticDefinition() {
    // the decoder shifts bits; this reference multiplies out sign * 2^(e-15) * (1 + m/1024) instead
    for (int bits = 0; bits < 0x10000; bits++) {
      int exponent = (bits >> 10) & 0x1f;
      int mantissa = bits & 0x3ff;
      double sign = (bits & 0x8000) == 0 ? 1 : -1;
      double expected;
      if (exponent == 0x1f) {
        expected = mantissa == 0 ? sign * Double.POSITIVE_INFINITY : Double.NaN;
      } else if (exponent == 0) {
        expected = sign * mantissa * Math.pow(2, -24);
      } else {
        expected = sign * Math.pow(2, exponent - 15) * (1 + mantissa / 1024.0);
      }
      int pattern = bits;
      assertEquals((float) expected, DType.halfToFloat((short) bits), () -> "half 0x" + Integer.toHexString(pattern));
    }
  }

  @Test
  void bfloat16IsTheTopHalfOfAFloat() {
    assertEquals(1.0f, DType.bfloat16ToFloat((short) 0x3F80));
    assertEquals(-3.140625f, DType.bfloat16ToFloat((short) 0xC049));
    assertEquals(0.10009765625f, DType.bfloat16ToFloat((short) 0x3DCD));
    assertEquals(Float.NEGATIVE_INFINITY, DType.bfloat16ToFloat((short) 0xFF80));
  }

  @Test
  void headerNamesAreMatchedExactly() {
    assertEquals(Optional.of(DType.BF16), DType.fromHeaderName("BF16"));
    assertEquals(Optional.empty(), DType.fromHeaderName("bf16"));
    assertEquals(Optional.empty(), DType.fromHeaderName("F8_E4M3"));
  }
}
