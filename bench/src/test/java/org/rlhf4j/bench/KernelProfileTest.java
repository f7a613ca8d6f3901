package org.rlhf4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import org.junit.jupiter.api.Test;
import org.rlhf4j.model.kernels.Kernels;

class KernelProfileTest {
  /**
   * A kernel the profile does not forward runs Kernels' default (the ND4J reference, or "no" for a
   * capability) instead of the measured kernels' own: the bench would time something else. That
   * happened once: the profile said attention probabilities must be kept, so the bench measured a
   * pass with 134 MB more than the trainer's.
   */
  @Test
  void everyKernelIsForwarded() throws NoSuchMethodException {
    for (Method m : Kernels.class.getMethods()) {
      if (Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      Method own = KernelProfile.class.getMethod(m.getName(), m.getParameterTypes());
      assertEquals(KernelProfile.class, own.getDeclaringClass(), m.getName() + " is not forwarded");
    }
  }
}
