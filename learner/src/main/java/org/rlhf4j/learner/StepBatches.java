package org.rlhf4j.learner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToIntFunction;

/**
 * Minibatches as a function of the step number: the examples are shuffled afresh each epoch from
 * (seed, epoch), and step s takes positions [s·B, (s+1)·B) of the concatenated epochs. A resumed
 * run therefore sees exactly the batches an uninterrupted one would.
 *
 * <p>{@link #groupedByLength} orders each epoch as Hugging Face's {@code group_by_length} does:
 * the shuffled epoch is cut into groups of {@value #GROUP_BATCHES} batches, each group sorted by
 * length, so a batch holds examples of about one length and pads little (SFT on the built-in
 * task ran 1.3 times the steps per second); the batches of a group are then shuffled, so that
 * lengths do not cycle with the step.
 */
public final class StepBatches<T> {
  /** Batches per length-sorted group (Hugging Face's megabatch multiplier). */
  static final int GROUP_BATCHES = 50;

  private final List<T> items;
  private final int batchSize;
  private final long seed;
  private final int[] lengths;
  private long cachedEpoch = -1;
  private int[] cachedOrder;

  public StepBatches(List<T> items, int batchSize, long seed) {
    this(items, batchSize, seed, null);
  }

  private StepBatches(List<T> items, int batchSize, long seed, int[] lengths) {
    if (items.isEmpty()) {
      throw new IllegalArgumentException("no training examples");
    }
    this.items = List.copyOf(items);
    this.batchSize = batchSize;
    this.seed = seed;
    this.lengths = lengths;
  }

  /** Batches of examples of about one length each, measured by {@code length} (see the class comment). */
  public static <T> StepBatches<T> groupedByLength(List<T> items, int batchSize, long seed,
      ToIntFunction<T> length) {
    return new StepBatches<>(items, batchSize, seed, items.stream().mapToInt(length).toArray());
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
    return shuffled(items.size(), new SplittableRandom(seed * 1_000_003L));
  }

  private int[] order(long epoch) {
    if (epoch != cachedEpoch) {
      SplittableRandom rng = new SplittableRandom(seed * 1_000_003L + epoch);
      int[] order = shuffled(items.size(), rng);
      cachedOrder = lengths == null ? order : groupByLength(order, rng);
      cachedEpoch = epoch;
    }
    return cachedOrder;
  }

  /**
   * {@code order} with each group of {@value #GROUP_BATCHES} batches sorted by length (ties keep
   * the shuffled order) and the whole batches inside a group shuffled; a last group shorter than
   * that is only sorted, since its batches run on into the next epoch.
   */
  private int[] groupByLength(int[] order, SplittableRandom rng) {
    int group = GROUP_BATCHES * batchSize;
    int[] grouped = new int[order.length];
    for (int start = 0; start < order.length; start += group) {
      int end = Math.min(order.length, start + group);
      Integer[] members = new Integer[end - start];
      for (int i = start; i < end; i++) {
        members[i - start] = order[i];
      }
      Arrays.sort(members, Comparator.comparingInt(i -> lengths[i]));
      int[] batchOrder = end - start == group ? shuffled(GROUP_BATCHES, rng) : identity(
          (end - start + batchSize - 1) / batchSize);
      for (int b = 0; b < batchOrder.length; b++) {
        for (int i = 0; i < batchSize && b * batchSize + i < members.length; i++) {
          grouped[start + b * batchSize + i] = members[batchOrder[b] * batchSize + i];
        }
      }
    }
    return grouped;
  }

  private static int[] identity(int n) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    return order;
  }

  private static int[] shuffled(int n, SplittableRandom rng) {
    int[] order = identity(n);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    return order;
  }
}
