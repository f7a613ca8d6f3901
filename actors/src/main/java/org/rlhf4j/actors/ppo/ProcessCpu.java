package org.rlhf4j.actors.ppo;

import java.lang.management.ManagementFactory;

/** The CPU time this process has used, over all its threads, native ones included. */
public final class ProcessCpu {
  private ProcessCpu() {}

  /** Seconds of CPU so far, or NaN where the JVM does not report it. */
  public static double seconds() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      long nanos = os.getProcessCpuTime();
      return nanos < 0 ? Double.NaN : nanos / 1e9;
    }
    return Double.NaN;
  }
}
