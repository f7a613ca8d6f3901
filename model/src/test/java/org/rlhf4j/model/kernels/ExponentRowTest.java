package org.rlhf4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A row's exponentials are e^(x − shift) within 2 ulp at any length, and masked values give 0. */
class ExponentRowTest {
  @Test
  void aRowOfAnyLengthGivesItsExponentials() {
    ExponentRow row = new ExponentRow();
    SplittableRandom rng = new SplittableRandom(3);
    for (int n : new int[] {1, 5, 37, 256, 1001}) { // tails at 4, 8 and 16 lanes
      float[] x = new float[n];
      for (int i = 0; i < n; i++) {
        x[i] = (float) (rng.nextDouble() * 40 - 30);
      }
      x[n / 2] = Float.NEGATIVE_INFINITY; // a masked token
      float[] e = new float[n];
      row.expShifted(x, e, n, 4f);
      for (int i = 0; i < n; i++) {
        double exact = Math.exp(x[i] - 4f); // the difference in float, as the row computes it
        assertTrue(Math.abs(e[i] - exact) <= 2 * Math.ulp((float) exact),
            "e^" + x[i] + ": " + e[i] + " against " + exact);
      }
      assertEquals(0f, e[n / 2]);
    }
  }
}
