package org.rlhf4j.learner;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.TensorThreads;

/**
 * Data parallelism on one machine: a batch's gradient computed in shards, each on its own thread
 * into its own gradient store, then summed in shard order, so the result does not depend on which
 * thread finishes first. The first shard runs on the calling thread. A small model's kernels keep
 * one core busy whatever ND4J's thread count; two model passes keep two.
 */
public final class ShardedGradient {
  private final ThreadPoolExecutor pool; // null with one shard
  private final ParameterStore[] stores; // shards 1..k-1
  private final int shards;
  private final int threadsPerModel;

  /**
   * Up to {@code shards} shards per batch, the first on the caller's thread.
   *
   * @param like the parameters whose gradients are computed
   * @param shards at most this many shards per batch
   * @param threadsPerModel ND4J threads of each shard's thread
   */
  public ShardedGradient(ParameterStore like, int shards, int threadsPerModel) {
    if (shards < 1 || threadsPerModel < 1) {
      throw new IllegalArgumentException("shards and threads per model must be at least 1, got "
          + shards + " and " + threadsPerModel);
    }
    this.shards = shards;
    this.threadsPerModel = threadsPerModel;
    this.stores = new ParameterStore[shards - 1];
    for (int i = 0; i < stores.length; i++) {
      stores[i] = like.zerosLike();
    }
    if (shards == 1) {
      this.pool = null;
      return;
    }
    AtomicInteger count = new AtomicInteger();
    this.pool = new ThreadPoolExecutor(shards - 1, shards - 1, 10, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), task -> {
          Thread t = new Thread(task, "rlhf4j-shard-" + count.incrementAndGet());
          t.setDaemon(true); // idle shard threads never keep the JVM alive
          return t;
        });
    pool.allowCoreThreadTimeOut(true); // and leave after 10 idle seconds
  }

  /** The most shards a batch is split into. */
  public int shards() {
    return shards;
  }

  /** {@code items} cut into at most {@link #shards()} contiguous, non-empty parts of near-equal size. */
  public <T> List<List<T>> split(List<T> items) {
    int k = Math.min(shards, items.size());
    List<List<T>> parts = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      parts.add(items.subList(i * items.size() / k, (i + 1) * items.size() / k));
    }
    return parts;
  }

  /**
   * Runs shard i's work with a zeroed gradient store of its own (shard 0 with {@code grads}
   * itself, which must hold zeros), waits for all, and adds the others into {@code grads} in
   * order. Returns the works' results in order. Every shard is waited for, even after one
   * failed, so no shard still writes a store when this returns; the first failure is rethrown
   * with the others suppressed in it.
   */
  public <R> List<R> run(ParameterStore grads, List<Function<ParameterStore, R>> work) {
    requireShards(work.size());
    List<Supplier<R>> tasks = new ArrayList<>(work.size());
    for (int i = 0; i < work.size(); i++) {
      Function<ParameterStore, R> w = work.get(i);
      ParameterStore store = i == 0 ? grads : stores[i - 1];
      tasks.add(i == 0 ? () -> w.apply(store) : () -> {
        store.zero();
        return w.apply(store);
      });
    }
    List<R> results = map(tasks);
    for (int i = 1; i < work.size(); i++) {
      grads.flat().addi(stores[i - 1].flat());
    }
    return results;
  }

  /**
   * Runs shard i's {@code work} that writes no gradient (a forward pass), the first on the
   * caller's thread, and returns the results in order; failures as in {@link #run}.
   */
  public <R> List<R> map(List<Supplier<R>> work) {
    requireShards(work.size());
    List<Future<R>> others = new ArrayList<>(work.size());
    for (int i = 1; i < work.size(); i++) {
      Supplier<R> w = work.get(i);
      others.add(pool.submit(() -> {
        // bound here rather than in the thread factory, so that a failure reaches the future
        TensorThreads.bindCurrentThread(threadsPerModel);
        return w.get();
      }));
    }
    List<R> results = new ArrayList<>(work.size());
    Throwable first = null;
    try {
      results.add(work.get(0).get());
    } catch (Throwable e) {
      first = e;
    }
    boolean interrupted = false;
    for (Future<R> other : others) {
      while (true) {
        try {
          results.add(other.get());
          break;
        } catch (InterruptedException e) {
          interrupted = true; // keep waiting: the shard still writes its store
        } catch (ExecutionException e) {
          if (first == null) {
            first = e.getCause();
          } else {
            first.addSuppressed(e.getCause());
          }
          break;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (first instanceof RuntimeException r) {
      throw r;
    } else if (first instanceof Error err) {
      throw err;
    } else if (first != null) {
      throw new IllegalStateException("a gradient shard failed", first);
    }
    return results;
  }

  private void requireShards(int n) {
    if (n < 1 || n > shards) {
      throw new IllegalArgumentException(n + " shards of work for 1 to " + shards);
    }
  }
}
