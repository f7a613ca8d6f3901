package org.rlhf4j.learner.rl;

/** A batch of B responses padded to T tokens, stored row-major in arrays of length B·T. */
public record BatchShape(int b, int t) {

  /** Checks that both sizes are positive and that B·T fits in an array. */
  public BatchShape {
    if (b < 1 || t < 1) {
      throw new IllegalArgumentException("batch shape needs b >= 1 and t >= 1, got b=" + b
          + ", t=" + t);
    }
    if ((long) b * t > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("batch shape b=" + b + ", t=" + t
          + " has more tokens than a Java array holds");
    }
  }

  /** B·T, the length of every per-token array. */
  public int size() {
    return b * t;
  }

  /** Throws unless {@code array} holds one value per token (B·T). */
  public void requireTokens(String name, double[] array) {
    requireLength(name, array, size(), "B·T");
  }

  /** Throws unless {@code array} holds one value per row (B). */
  public void requireRows(String name, double[] array) {
    requireLength(name, array, b, "B");
  }

  /**
   * Throws unless {@code mask} holds B·T zeros and ones; returns the number of ones (real tokens).
   * Fractional weights are rejected because every mean here divides by this count.
   */
  public int requireMask(double[] mask) {
    requireTokens("mask", mask);
    int count = 0;
    for (int i = 0; i < mask.length; i++) {
      double m = mask[i];
      if (m == 1.0) {
        count++;
      } else if (m != 0.0) {
        throw new IllegalArgumentException("mask must hold only 0 and 1, got " + m
            + " at row " + i / t + ", token " + i % t);
      }
    }
    return count;
  }

  /** Index of the last real token of {@code row}, or −1 when the row is all padding. */
  public int lastRealToken(double[] mask, int row) {
    int start = row * t;
    for (int j = t - 1; j >= 0; j--) {
      if (mask[start + j] != 0.0) {
        return j;
      }
    }
    return -1;
  }

  private void requireLength(String name, double[] array, int expected, String what) {
    if (array == null) {
      throw new IllegalArgumentException(name + " is null; expected " + what + " = " + expected
          + " values for shape (" + b + ", " + t + ")");
    }
    if (array.length != expected) {
      throw new IllegalArgumentException(name + " has " + array.length + " values; expected "
          + what + " = " + expected + " for shape (" + b + ", " + t + ")");
    }
  }
}
