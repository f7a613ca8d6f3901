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
 * Raises the Linux niceness of the calling thread, so that it computes on the cores the process's
 * other threads leave idle instead of taking an equal share of them.
 *
 * <p>Linux keeps a niceness per thread. Any user may raise it, only a privileged one may lower it
 * again, so this only raises it; and threads a niced thread starts inherit it, so a niced thread
 * must not be the first to use a pool that others share. Where the OS refuses or has no per-thread
 * niceness, the thread keeps its priority: priority changes how fast a run goes, never what it
 * computes.
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

  private interface LibC extends Library {
    int setpriority(int which, int who, int prio) throws LastErrorException;
  }

  /** The C library, loaded on first use: a run that never nices a thread loads nothing. */
  private static final class LoadedLibC {
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
    if (!Files.isSymbolicLink(THREAD_SELF)) { // not Linux: nothing to set, nothing to warn of
      LOG.debug("no per-thread niceness here ({} is missing)", THREAD_SELF);
      GIVEN.set(REFUSED);
      return false;
    }
    try {
      if (ofCurrentThread() < niceness) {
        LoadedLibC.C.setpriority(PRIO_PROCESS, threadId(), niceness);
      }
      GIVEN.set(niceness);
      return true;
    } catch (VirtualMachineError e) {
      throw e;
    } catch (IOException | RuntimeException | Error e) {
      // Error too: JNA throws a plain one when another version of its native stub is loaded
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
    return of(THREAD_SELF.resolve("stat"));
  }

  /** The niceness in a thread's {@code stat} file (/proc/PID/task/TID/stat). */
  public static int of(Path stat) throws IOException {
    String line = Files.readString(stat);
    // the command name in parentheses may hold spaces; the fields after it do not:
    // state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    // cutime cstime priority nice, so niceness is the 17th after the name
    String[] after = line.substring(line.lastIndexOf(')') + 2).split(" ");
    return Integer.parseInt(after[16]);
  }

  private static int threadId() throws IOException {
    // "/proc/thread-self" links to "<pid>/task/<tid>"; Java 17 has no API for the native id
    return Integer.parseInt(Files.readSymbolicLink(THREAD_SELF).getFileName().toString());
  }
}
