package org.rlhf4j.model.kernels;

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
  /** The species of every vector passed here: VectorKernels' own. */
  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[F.length()]);

  private VectorMath() {}

  /**
   * e^x per lane, within ~2 ulp; 0 below e^−87.3 (so −∞ gives exactly 0). {@code x} is of
   * {@link #F}: with a constant species every operation compiles to vector instructions (with
   * {@code x.species()} C2 fell back to the API's Java implementation, 5–10× slower).
   */
  static FloatVector exp(FloatVector x) {
    VectorMask<Float> underflow = x.lt(MIN_INPUT);
    FloatVector clamped = x.min(MAX_INPUT).max(MIN_INPUT);
    // n = round(x / ln 2): adding 1.5·2²³ rounds to an integer and leaves n in the low mantissa
    // bits (no float-to-int conversion, which C2 does not vectorise here); r = x − n·ln 2 in two
    // parts for accuracy
    FloatVector shifted = clamped.mul(LOG2E).add(ROUNDER);
    FloatVector nf = shifted.sub(ROUNDER);
    IntVector n = shifted.reinterpretAsInts().sub(ROUNDER_BITS);
    FloatVector r = nf.fma(FloatVector.broadcast(F, -LN2_HI), clamped).add(nf.mul(-LN2_LO));
    // e^r on [−ln2/2, ln2/2]: Cephes' degree-6 polynomial
    FloatVector p = r.fma(FloatVector.broadcast(F, P0), FloatVector.broadcast(F, P1));
    p = p.fma(r, FloatVector.broadcast(F, P2));
    p = p.fma(r, FloatVector.broadcast(F, P3));
    p = p.fma(r, FloatVector.broadcast(F, P4));
    p = p.fma(r, FloatVector.broadcast(F, P5));
    p = p.mul(r).mul(r).add(r).add(1f);
    // 2^n from the exponent bits
    FloatVector scale = n.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    return p.mul(scale).blend(0f, underflow);
  }

  /** tanh per lane as 1 − 2/(e^{2z} + 1), within 2.5e-7 in absolute terms. */
  static FloatVector tanh(FloatVector z) {
    FloatVector e = exp(z.mul(2f));
    return FloatVector.broadcast(F, 1f).sub(FloatVector.broadcast(F, 2f).div(e.add(1f)));
  }

  /** The sum of the lanes in lane order. */
  static float sum(FloatVector v) {
    // lane(i) with a variable i is not compiled to an extract (it took a few % of S's step)
    float[] lanes = LANES.get();
    v.intoArray(lanes, 0);
    float s = 0;
    for (int i = 0; i < v.length(); i++) {
      s += lanes[i];
    }
    return s;
  }

  /**
   * Scalar e^x, operation for operation the lane computation of {@link #exp(FloatVector)} (Java
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

  /** Scalar tanh, operation for operation the lane computation of {@link #tanh(FloatVector)}. */
  static float tanh(float z) {
    return 1f - 2f / (exp(z * 2f) + 1f);
  }
}
