package org.rlhf4j.model;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lowers the CPU priority (Linux niceness) of the calling thread, so that it computes on the
 * cores other threads of the process leave idle instead of taking an equal share of them.
 *
 * <p>Linux keeps a niceness per thread, and any user may raise the niceness of their own threads
 * but only a privileged one may lower it again, so this only ever raises it. Threads started by a
 * niced thread inherit its niceness. Where the OS refuses, or has no per-thread niceness, the
 * thread keeps its priority and one warning says why: priority changes how fast a run goes, never
 * what it computes.
 */
public final class ThreadNiceness {
  /** The largest niceness Linux has: the thread runs when nothing nicer wants the core. */
  public static final int MAX = 19;

  private static final Logger LOG = LoggerFactory.getLogger(ThreadNiceness.class);
  private static final Path THREAD_SELF = Path.of("/proc/thread-self");
  private static final int PRIO_PROCESS = 0; // with a thread id, setpriority acts on that thread
  private static final int REFUSED = -1;
  // what this class last gave each thread (or REFUSED): a later call with the same niceness, or
  // on a thread the OS refused, costs nothing
  private static final ThreadLocal<Integer> GIVEN = ThreadLocal.withInitial(() -> 0);
  private static volatile boolean warned;

  private ThreadNiceness() {}

  /** The C library's call; loaded on first use, so a run that never nices loads nothing. */
  private interface LibC extends Library {
    int setpriority(int which, int who, int prio) throws LastErrorException;
  }

  private static final class Native0 {
    static final LibC C = (LibC) Native.loadLibrary("c", LibC.class);
  }

  /**
   * Raises the calling thread's niceness to {@code niceness} (0 to {@link #MAX}); a thread
   * already at least that nice, and niceness 0, are left as they are.
   *
   * @return whether the thread now runs at least that nice
   */
  public static boolean raiseCurrentThread(int niceness) {
    if (niceness < 0 || niceness > MAX) {
      throw new IllegalArgumentException("niceness must be 0 to " + MAX + ", got " + niceness);
    }
    int given = GIVEN.get();
    if (given == REFUSED) {
      return false;
    }
    if (niceness <= given) {
      return true;
    }
    try {
      if (ofCurrentThread() < niceness) {
        Native0.C.setpriority(PRIO_PROCESS, threadId(), niceness);
      }
      GIVEN.set(niceness);
      return true;
    } catch (IOException | RuntimeException | LinkageError e) {
      if (!warned) {
        warned = true;
        LOG.warn("could not set a thread's niceness to {} ({}); it computes at the priority it had",
            niceness, e.toString());
      }
      GIVEN.set(REFUSED); // one attempt per thread: the reason will not go away
      return false;
    }
  }

  /** The calling thread's niceness, as the kernel reports it in /proc/thread-self/stat. */
  public static int ofCurrentThread() throws IOException {
    String stat = Files.readString(THREAD_SELF.resolve("stat"));
    // the command name in parentheses may hold spaces; the fields after it do not:
    // state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    // cutime cstime priority nice, so niceness is the 17th after the name
    String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Integer.parseInt(after[16]);
  }

  private static int threadId() throws IOException {
    // "/proc/thread-self" links to "<pid>/task/<tid>"; Java 17 has no API for the native id
    return Integer.parseInt(Files.readSymbolicLink(THREAD_SELF).getFileName().toString());
  }
}
