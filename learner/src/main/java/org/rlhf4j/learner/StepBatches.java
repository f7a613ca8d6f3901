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
 * <p>{@link #groupedByLength} orders each epoch like Hugging Face's {@code group_by_length}: the
 * shuffled epoch is cut into groups of {@value #GROUP_BATCHES} batches, each group sorted by
 * length, so a batch holds examples of about one length and pads little (SFT on the built-in
 * task ran 1.3 times the steps per second). Unlike Hugging Face's, the whole batches of a group
 * are then shuffled, so that lengths do not cycle with the step. Groups start on the step's batch
 * boundaries: when B does not divide the epoch, its first positions end a batch begun in the
 * epoch before, and they are left out of the groups.
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
      // positions [0, skew) of this epoch complete the last batch of the one before
      int skew = (int) ((batchSize - (epoch * items.size()) % batchSize) % batchSize);
      cachedOrder = lengths == null ? order : groupByLength(order, Math.min(skew, order.length), rng);
      cachedEpoch = epoch;
    }
    return cachedOrder;
  }

  /**
   * {@code order} from position {@code skew} on, cut into groups of {@value #GROUP_BATCHES}
   * batches, each sorted by length (ties keep the shuffled order) with its whole batches shuffled;
   * a last batch that runs on into the next epoch stays last.
   */
  private int[] groupByLength(int[] order, int skew, SplittableRandom rng) {
    int group = GROUP_BATCHES * batchSize;
    int[] grouped = order.clone();
    for (int start = skew; start < order.length; start += group) {
      int end = Math.min(order.length, start + group);
      Integer[] members = new Integer[end - start];
      for (int i = start; i < end; i++) {
        members[i - start] = order[i];
      }
      Arrays.sort(members, Comparator.comparingInt(i -> lengths[i]));
      int[] sorted = unbox(members);
      int whole = sorted.length / batchSize;
      int[] batchOrder = shuffled(whole, rng);
      for (int b = 0; b < whole; b++) {
        System.arraycopy(sorted, batchOrder[b] * batchSize, grouped, start + b * batchSize,
            batchSize);
      }
      System.arraycopy(sorted, whole * batchSize, grouped, start + whole * batchSize,
          sorted.length - whole * batchSize);
    }
    return grouped;
  }

  private static int[] unbox(Integer[] boxed) {
    int[] out = new int[boxed.length];
    for (int i = 0; i < boxed.length; i++) {
      out[i] = boxed[i];
    }
    return out;
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
