package org.rlhf4j.model.kernels;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * Heap tests measure what C2-compiled Vector API code allocates: without C2 (a JVM run with
 * {@code -XX:TieredStopAtLevel=1}, or not HotSpot) every vector operation allocates by design.
 */
public final class OptimizingCompiler {
  private OptimizingCompiler() {}

  /** Skips the calling test unless HotSpot compiles with C2. */
  public static void assumeC2() {
    HotSpotDiagnosticMXBean hotspot;
    try {
      hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    } catch (IllegalArgumentException e) {
      hotspot = null;
    }
    assumeTrue(hotspot != null, "not HotSpot: no C2");
    assumeTrue(Integer.parseInt(hotspot.getVMOption("TieredStopAtLevel").getValue()) >= 4
        && Boolean.parseBoolean(hotspot.getVMOption("UseCompiler").getValue()),
        "C2 is switched off");
  }
}
