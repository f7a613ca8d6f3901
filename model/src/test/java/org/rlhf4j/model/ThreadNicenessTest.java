package org.rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ThreadNicenessTest {
  @BeforeAll
  static void linuxOnly() throws Exception {
    assumeTrue(Files.isSymbolicLink(Path.of("/proc/thread-self")), "Linux's per-thread niceness");
    assumeTrue(ThreadNiceness.ofCurrentThread() <= 10, "room to raise the niceness by 9");
  }

  /** Runs {@code work} on a thread of its own, so the niceness it gets dies with the thread. */
  private static <T> T onNewThread(Callable<T> work) throws Exception {
    ExecutorService one = Executors.newSingleThreadExecutor();
    try {
      return one.submit(work).get(30, TimeUnit.SECONDS);
    } finally {
      one.shutdownNow();
    }
  }

  @Test
  void raisesTheCallingThreadsNicenessAndNoOtherThreads() throws Exception {
    int before = ThreadNiceness.ofCurrentThread();
    int[] seen = onNewThread(() -> {
      int start = ThreadNiceness.ofCurrentThread();
      boolean done = ThreadNiceness.raiseCurrentThread(start + 7);
      return new int[] {start, done ? 1 : 0, ThreadNiceness.ofCurrentThread()};
    });
    assertEquals(1, seen[1], "the kernel let the thread raise its own niceness");
    assertEquals(seen[0] + 7, seen[2]);
    assertEquals(before, ThreadNiceness.ofCurrentThread(), "the calling thread is untouched");
  }

  @Test
  void neverLowersANicenessAndLeavesZeroAlone() throws Exception {
    int[] seen = onNewThread(() -> {
      int start = ThreadNiceness.ofCurrentThread();
      ThreadNiceness.raiseCurrentThread(start + 9);
      boolean lower = ThreadNiceness.raiseCurrentThread(start + 4);
      boolean zero = ThreadNiceness.raiseCurrentThread(0);
      return new int[] {start, lower && zero ? 1 : 0, ThreadNiceness.ofCurrentThread()};
    });
    assertEquals(1, seen[1], "a thread already nicer than asked runs at least that nice");
    assertEquals(seen[0] + 9, seen[2]);
  }

  @Test
  void threadsANicedThreadStartsInheritIt() throws Exception {
    int[] seen = onNewThread(() -> {
      int start = ThreadNiceness.ofCurrentThread();
      boolean done = ThreadNiceness.raiseCurrentThread(start + 5);
      int[] child = {-1};
      Thread t = new Thread(() -> {
        try {
          child[0] = ThreadNiceness.ofCurrentThread();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      t.start();
      t.join(30_000);
      return new int[] {start, done ? 1 : 0, child[0]};
    });
    assertEquals(1, seen[1]);
    assertEquals(seen[0] + 5, seen[2], "documented: threads a niced thread starts run niced");
  }

  @Test
  void refusesANicenessLinuxDoesNotHave() {
    assertThrows(IllegalArgumentException.class, () -> ThreadNiceness.raiseCurrentThread(20));
    assertThrows(IllegalArgumentException.class, () -> ThreadNiceness.raiseCurrentThread(-1));
  }
}
