package org.rlhf4j.model.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

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

  private VectorMath() {}

  /** e^x per lane, within ~2 ulp; 0 below e^−87.3 (so −∞ gives exactly 0). */
  static FloatVector exp(FloatVector x) {
    VectorMask<Float> underflow = x.lt(MIN_INPUT);
    FloatVector clamped = x.min(MAX_INPUT).max(MIN_INPUT);
    // n = round(x / ln 2), r = x − n·ln 2 in two parts for accuracy
    FloatVector half = FloatVector.broadcast(x.species(), 0.5f)
        .blend(FloatVector.broadcast(x.species(), -0.5f), clamped.lt(0f));
    IntVector n = (IntVector) clamped.mul(LOG2E).add(half).convert(VectorOperators.F2I, 0);
    FloatVector nf = (FloatVector) n.convert(VectorOperators.I2F, 0);
    var sp = x.species();
    FloatVector r = nf.fma(FloatVector.broadcast(sp, -LN2_HI), clamped).add(nf.mul(-LN2_LO));
    // e^r on [−ln2/2, ln2/2]: Cephes' degree-6 polynomial
    FloatVector p = r.fma(FloatVector.broadcast(sp, 1.9875691500e-4f),
        FloatVector.broadcast(sp, 1.3981999507e-3f));
    p = p.fma(r, FloatVector.broadcast(x.species(), 8.3334519073e-3f));
    p = p.fma(r, FloatVector.broadcast(x.species(), 4.1665795894e-2f));
    p = p.fma(r, FloatVector.broadcast(x.species(), 1.6666665459e-1f));
    p = p.fma(r, FloatVector.broadcast(x.species(), 5.0000001201e-1f));
    p = p.mul(r).mul(r).add(r).add(1f);
    // 2^n from the exponent bits
    FloatVector scale = n.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    return p.mul(scale).blend(0f, underflow);
  }

  /** tanh per lane as 1 − 2/(e^{2z} + 1), exact to a few 1e-8 in absolute terms. */
  static FloatVector tanh(FloatVector z) {
    FloatVector e = exp(z.mul(2f));
    return FloatVector.broadcast(z.species(), 1f).sub(FloatVector.broadcast(z.species(), 2f)
        .div(e.add(1f)));
  }

  /** The sum of the lanes in lane order. */
  static float sum(FloatVector v) {
    float s = 0;
    for (int i = 0; i < v.length(); i++) {
      s += v.lane(i);
    }
    return s;
  }

  /** Scalar e^x with the same formula as {@link #exp}, for loop tails. */
  static float exp(float x) {
    if (x < MIN_INPUT) {
      return 0f;
    }
    return exp(FloatVector.broadcast(FloatVector.SPECIES_64, x)).lane(0);
  }

  /** Scalar tanh with the same formula as {@link #tanh}, for loop tails. */
  static float tanh(float z) {
    return tanh(FloatVector.broadcast(FloatVector.SPECIES_64, z)).lane(0);
  }
}
