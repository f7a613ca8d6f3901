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

  /**
   * @param like the parameters whose gradients are computed
   * @param shards at most this many shards per batch
   * @param threadsPerModel ND4J threads of each shard's thread
   */
  public ShardedGradient(ParameterStore like, int shards, int threadsPerModel) {
    if (shards < 1) {
      throw new IllegalArgumentException("shards must be at least 1, got " + shards);
    }
    this.shards = shards;
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
          Thread t = new Thread(() -> {
            TensorThreads.bindCurrentThread(threadsPerModel);
            task.run();
          }, "rlhf4j-shard-" + count.incrementAndGet());
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
   * order. Returns the works' results in order; the first failure is rethrown.
   */
  public <R> List<R> run(ParameterStore grads, List<Function<ParameterStore, R>> work) {
    if (work.size() > shards) {
      throw new IllegalArgumentException(work.size() + " shards of work for " + shards);
    }
    List<Future<R>> others = new ArrayList<>(work.size());
    for (int i = 1; i < work.size(); i++) {
      ParameterStore store = stores[i - 1];
      Function<ParameterStore, R> w = work.get(i);
      others.add(pool.submit(() -> {
        store.zero();
        return w.apply(store);
      }));
    }
    List<R> results = new ArrayList<>(work.size());
    RuntimeException first = null;
    try {
      results.add(work.get(0).apply(grads));
    } catch (RuntimeException e) {
      first = e;
    }
    for (int i = 0; i < others.size(); i++) {
      try {
        results.add(others.get(i).get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while shards computed a gradient", e);
      } catch (ExecutionException e) {
        if (first == null) {
          first = e.getCause() instanceof RuntimeException r ? r
              : new IllegalStateException("a gradient shard failed", e.getCause());
        }
      }
    }
    if (first != null) {
      throw first;
    }
    for (int i = 1; i < work.size(); i++) {
      grads.flat().addi(stores[i - 1].flat());
    }
    return results;
  }
}
