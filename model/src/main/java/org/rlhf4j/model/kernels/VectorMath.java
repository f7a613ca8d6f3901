package org.rlhf4j.model.kernels;

import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp, tanh and lane sums built only from IEEE-exact vector operations (add, mul, fma, shifts), so
 * results are bit-identical whether a loop runs interpreted or C2-compiled.
 *
 * <p>Why: the Vector API's {@code lanewise(EXP/TANH)} is computed per lane by {@code Math} when
 * interpreted and by an SVML stub once compiled, and {@code reduceLanes(ADD)} may change its
 * order; both made a training run's weights depend on JIT warm-up, which breaks replay.
 */
final class VectorMath {
  private static final float LOG2E = 1.44269504088896341f;
  private static final float LN2_HI = 0.693359375f;
  private static final float LN2_LO = -2.12194440e-4f;
  private static final float MAX_INPUT = 88.3762626647949f;
  private static final float MIN_INPUT = -87.3365478515625f;
  private static final float ROUNDER = 12582912f; // 1.5·2²³
  private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
  private static final float P0 = 1.9875691500e-4f;
  private static final float P1 = 1.3981999507e-3f;
  private static final float P2 = 8.3334519073e-3f;
  private static final float P3 = 4.1665795894e-2f;
  private static final float P4 = 1.6666665459e-1f;
  private static final float P5 = 5.0000001201e-1f;
  /** The species of VectorKernels' loops and of the ranges handed here. */
  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  /**
   * Whether a kernel may keep 16 to 28 vectors in registers: 16-lane vectors come with AVX-512's
   * 32 registers; AVX2 has 16.
   */
  static final boolean WIDE_REGISTERS = F.length() >= 16;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final FloatVector NEGATIVE_ZERO = FloatVector.broadcast(F, -0f);
  private static final int LANES = F.length();

  private VectorMath() {}

  /**
   * {@code out[at + i] = e^(in[at + i] − shift)} for {@code i < n} (a multiple of the lane count),
   * within ~2 ulp and 0 below e^−87.3 (so −∞ gives exactly 0); returns their sum, lanes summed
   * as {@link #sum} does. {@code out} may be {@code in}.
   *
   * <p>Takes memory, not a vector: a vector passed to or returned from a method that C2 does not
   * inline (it refuses one already compiled on its own into a large method) becomes a heap object
   * per operation; an exp taking a vector did that in the decode step's GELU, 300 KB per step.
   * {@link #sum} is the one helper that still takes a vector: it is small enough to be inlined,
   * and the heap tests (KernelHeapTest, DecodeStepHeapTest) would show if it were not.
   */
  static float expShifted(FloatMemory in, FloatMemory out, long at, int n, float shift) {
    FloatVector sum = FloatVector.zero(F);
    for (int i = 0; i < n; i += F.length()) {
      FloatVector x = FloatVector.fromByteBuffer(F, in.bytes, in.at(at + i), LE).sub(shift);
      VectorMask<Float> underflow = x.lt(MIN_INPUT);
      FloatVector clamped = x.min(MAX_INPUT).max(MIN_INPUT);
      // n = round(x / ln 2): adding 1.5·2²³ rounds to an integer and leaves n in the low mantissa
      // bits (no float-to-int conversion, which C2 does not vectorise here); r = x − n·ln 2 in
      // two parts for accuracy
      FloatVector shifted = clamped.mul(LOG2E).add(ROUNDER);
      FloatVector nf = shifted.sub(ROUNDER);
      IntVector exponent = shifted.reinterpretAsInts().sub(ROUNDER_BITS);
      FloatVector r = nf.fma(FloatVector.broadcast(F, -LN2_HI), clamped).add(nf.mul(-LN2_LO));
      // e^r on [−ln2/2, ln2/2]: Cephes' degree-6 polynomial
      FloatVector p = r.fma(FloatVector.broadcast(F, P0), FloatVector.broadcast(F, P1));
      p = p.fma(r, FloatVector.broadcast(F, P2));
      p = p.fma(r, FloatVector.broadcast(F, P3));
      p = p.fma(r, FloatVector.broadcast(F, P4));
      p = p.fma(r, FloatVector.broadcast(F, P5));
      p = p.mul(r).mul(r).add(r).add(1f);
      // 2^n from the exponent bits
      FloatVector scale = exponent.add(127).lanewise(VectorOperators.LSHL, 23)
          .reinterpretAsFloats();
      FloatVector e = p.mul(scale).blend(0f, underflow);
      sum = e.add(sum);
      e.intoByteBuffer(out.bytes, out.at(at + i), LE);
    }
    return sum(sum);
  }

  /**
   * {@code m[at + i] = tanh(m[at + i])} for {@code i < n} (a multiple of the lane count), as
   * 1 − 2/(e^{2z} + 1), within 2.5e-7 in absolute terms; three passes over the range, so callers
   * hand it ranges that stay in cache.
   */
  static void tanhInPlace(FloatMemory m, long at, int n) {
    for (int i = 0; i < n; i += F.length()) {
      FloatVector.fromByteBuffer(F, m.bytes, m.at(at + i), LE).mul(2f)
          .intoByteBuffer(m.bytes, m.at(at + i), LE);
    }
    expShifted(m, m, at, n, 0f);
    FloatVector one = FloatVector.broadcast(F, 1f);
    FloatVector two = FloatVector.broadcast(F, 2f);
    for (int i = 0; i < n; i += F.length()) {
      FloatVector e = FloatVector.fromByteBuffer(F, m.bytes, m.at(at + i), LE);
      one.sub(two.div(e.add(1f))).intoByteBuffer(m.bytes, m.at(at + i), LE);
    }
  }

  /** The sum of the lanes in lane order. */
  static float sum(FloatVector v) {
    // Lanes by constant index, which C2 compiles to extracts (a variable index is not); the
    // lane count is a constant, so the branches fold. A per-thread array it once stored the
    // lanes into cost a ThreadLocal lookup per call: half of S's decode step, one per dot
    // product of its attention (BENCHMARKS.md).
    FloatVector e = exact(v);
    float s = 0;
    s += e.lane(0);
    if (LANES == 1) {
      return s;
    }
    s += e.lane(1);
    if (LANES == 2) {
      return s;
    }
    s += e.lane(2);
    s += e.lane(3);
    if (LANES == 4) {
      return s;
    }
    s += e.lane(4);
    s += e.lane(5);
    s += e.lane(6);
    s += e.lane(7);
    if (LANES == 8) {
      return s;
    }
    s += e.lane(8);
    s += e.lane(9);
    s += e.lane(10);
    s += e.lane(11);
    s += e.lane(12);
    s += e.lane(13);
    s += e.lane(14);
    s += e.lane(15);
    for (int i = 16; i < LANES; i++) { // wider than AVX-512 (SVE): correct, not fast
      s += e.lane(i);
    }
    return s;
  }

  /** {@link #sum} of the vector whose lanes {@code lanes} holds: the same additions in order. */
  static float sumInOrder(float[] lanes) {
    float s = 0;
    for (float lane : lanes) {
      s += lane;
    }
    return s;
  }

  /**
   * {@code v} itself (−0 is the identity of IEEE addition), as a value whose class C2 knows.
   *
   * <p>Why: a loop's accumulator is typed FloatVector where C2 parses the loop, so a method called
   * on it after the loop is inlined only if the shared profile of the Vector API's own methods
   * names the class; when other code left that profile empty (the order in which code warmed up
   * decides it), the call stayed virtual and every vector of the loop was boxed: 200 KB per
   * softmax call. A vector made from the species' constant has its class known, and its
   * operation takes the accumulator as an argument, which needs no profile.
   */
  static FloatVector exact(FloatVector v) {
    return NEGATIVE_ZERO.add(v);
  }

  /**
   * Scalar e^x, operation for operation the lane computation of {@link #expShifted} (Java
   * float arithmetic is IEEE single precision, {@code Math.fma} rounds once as the lanes' fma
   * does), so a loop's tail equals what a full vector would have given.
   */
  static float exp(float x) {
    if (x < MIN_INPUT) {
      return 0f;
    }
    float clamped = Math.max(Math.min(x, MAX_INPUT), MIN_INPUT);
    float shifted = clamped * LOG2E + ROUNDER;
    float nf = shifted - ROUNDER;
    int n = Float.floatToRawIntBits(shifted) - ROUNDER_BITS;
    float r = Math.fma(nf, -LN2_HI, clamped) + nf * -LN2_LO;
    float p = Math.fma(r, P0, P1);
    p = Math.fma(p, r, P2);
    p = Math.fma(p, r, P3);
    p = Math.fma(p, r, P4);
    p = Math.fma(p, r, P5);
    p = p * r * r + r + 1f;
    return p * Float.intBitsToFloat((n + 127) << 23);
  }

  /** Scalar tanh, operation for operation the lane computation of {@link #tanhInPlace}. */
  static float tanh(float z) {
    return 1f - 2f / (exp(z * 2f) + 1f);
  }
}
