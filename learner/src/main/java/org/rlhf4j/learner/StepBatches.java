package org.rlhf4j.learner;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Minibatches as a function of the step number: the examples are shuffled afresh each epoch from
 * (seed, epoch), and step s takes positions [s·B, (s+1)·B) of the concatenated epochs. A resumed
 * run therefore sees exactly the batches an uninterrupted one would.
 */
public final class StepBatches<T> {
  private final List<T> items;
  private final int batchSize;
  private final long seed;
  private long cachedEpoch = -1;
  private int[] cachedOrder;

  public StepBatches(List<T> items, int batchSize, long seed) {
    if (items.isEmpty()) {
      throw new IllegalArgumentException("no training examples");
    }
    this.items = List.copyOf(items);
    this.batchSize = batchSize;
    this.seed = seed;
  }

  /** The batch of step {@code step} (0-based). */
  public List<T> of(long step) {
    int n = items.size();
    List<T> batch = new ArrayList<>(batchSize);
    for (int i = 0; i < batchSize; i++) {
      long position = step * batchSize + i;
      batch.add(items.get(order(position / n)[(int) (position % n)]));
    }
    return batch;
  }

  /** The first epoch's order: a seeded permutation, also used for train/held-out splits. */
  int[] permutationForSplit() {
    return order(0).clone();
  }

  private int[] order(long epoch) {
    if (epoch != cachedEpoch) {
      int n = items.size();
      int[] order = new int[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      SplittableRandom rng = new SplittableRandom(seed * 1_000_003L + epoch);
      for (int i = n - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        int tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
      }
      cachedOrder = order;
      cachedEpoch = epoch;
    }
    return cachedOrder;
  }
}
