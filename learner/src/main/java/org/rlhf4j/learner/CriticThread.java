package org.rlhf4j.learner;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.rlhf4j.model.TensorThreads;

/**
 * The thread a PPO learner runs its separate critic's passes on while the policy's run on its
 * own, as OpenRLHF trains actor and critic side by side: the two models share no tensor, so their
 * passes can overlap whole, where splitting each small product over two cores hardly pays (they
 * still share the memory bandwidth and ND4J's element-wise thread pool).
 */
public final class CriticThread {
  private static final ExecutorService THREAD = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "rlhf4j-critic");
    t.setDaemon(true); // one per process, idle between rounds, like the common pool
    return t;
  });
  private static final AtomicLong TASKS = new AtomicLong();

  private CriticThread() {}

  /** Starts {@code work} on the critic's thread, with {@code threads} tensor threads. */
  public static <T> CompletableFuture<T> start(int threads, Supplier<T> work) {
    return CompletableFuture.supplyAsync(() -> {
      TASKS.incrementAndGet();
      TensorThreads.bindCurrentThread(threads); // learners of other thread counts share it
      return work.get();
    }, THREAD);
  }

  /** Waits for {@code work} to end, however it ends: when the caller is failing already. */
  public static void await(CompletableFuture<?> work) {
    work.handle((v, e) -> null).join();
  }

  /** Waits for {@code work}, throwing what it threw (errors and runtime exceptions as they are). */
  public static <T> T join(CompletableFuture<T> work) {
    try {
      return work.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw e;
    }
  }

  /** Pieces of work this thread has run since the process started (what tests check). */
  public static long tasks() {
    return TASKS.get();
  }
}
