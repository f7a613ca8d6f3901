package org.rlhf4j.actors.ppo;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

/** The process's CPU time counts what every thread spends. */
class ProcessCpuTest {
  @Test
  void theProcessCpuTimeGrowsByWhatAnotherThreadSpent() throws Exception {
    double before = ProcessCpu.seconds();
    assertFalse(Double.isNaN(before), "HotSpot reports the process's CPU time");
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Thread busy = new Thread(() -> {
      // spin until this thread itself has used 0.2 s of CPU, however loaded the host
      long start = threads.getCurrentThreadCpuTime();
      double x = 1;
      while (threads.getCurrentThreadCpuTime() - start < 200_000_000L) {
        x = Math.sqrt(x + 1);
      }
      assertTrue(x > 0);
    });
    busy.start();
    busy.join();
    assertTrue(ProcessCpu.seconds() >= before + 0.2, "the other thread's 0.2 s is counted");
  }
}
