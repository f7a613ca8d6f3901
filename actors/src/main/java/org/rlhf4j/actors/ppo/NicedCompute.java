package org.rlhf4j.actors.ppo;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.model.ThreadNiceness;

/**
 * An actor's batches computed on a thread of its own at a raised niceness, while the actor's
 * thread, which sends the results on, keeps the process's priority.
 *
 * <p>Why a thread apart: a thread inherits the niceness of the thread that starts it, and a
 * dispatcher starts its threads from whichever thread hands it a message; had the actor's own
 * thread been niced, its messages could have started the coordinator's or the learner's threads
 * at that niceness, which an unprivileged user cannot lower again. This thread only computes.
 */
final class NicedCompute implements AutoCloseable {
  private final ExecutorService thread;
  private final int tensorThreads;
  private final int niceness;

  /** Batches on a thread named {@code name}, with {@code tensorThreads} at {@code niceness}. */
  NicedCompute(String name, int tensorThreads, int niceness) {
    this.tensorThreads = tensorThreads;
    this.niceness = niceness;
    this.thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true); // an actor that never stops it must not keep the JVM up
      return t;
    });
  }

  /** Runs {@code batch} on the niced thread and waits for it; its failure is rethrown here. */
  <T> T run(Supplier<T> batch) {
    Future<T> done = thread.submit(() -> {
      TensorThreads.bindCurrentThread(tensorThreads); // first: it may start a shared pool
      ThreadNiceness.raiseCurrentThread(niceness);
      return batch.get();
    });
    try {
      return done.get();
    } catch (InterruptedException e) {
      done.cancel(true);
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while a batch was computed", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(cause);
    }
  }

  /** Ends the thread once its batch, if any, is done. */
  @Override
  public void close() {
    thread.shutdown();
  }
}
