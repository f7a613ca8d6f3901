package org.rlhf4j.learner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StepBatchesTest {
  private static final int BATCH = 8;

  /** Items 0..n-1 whose "length" is a seeded draw in [1, 60]. */
  private static List<int[]> items(int n) {
    SplittableRandom rng = new SplittableRandom(7);
    List<int[]> items = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      items.add(new int[] {i, 1 + rng.nextInt(60)});
    }
    return items;
  }

  private static StepBatches<int[]> grouped(List<int[]> items, long seed) {
    return StepBatches.groupedByLength(items, BATCH, seed, x -> x[1]);
  }

  @Test
  void groupedBatchesVisitEveryExampleOncePerEpoch() {
    // 1,000 items: two full groups of 50 batches and a partial one that runs into the next epoch
    List<int[]> items = items(1000);
    StepBatches<int[]> batches = grouped(items, 3);
    List<Integer> seen = new ArrayList<>();
    for (long step = 0; step < 2 * 1000 / BATCH; step++) {
      batches.of(step).forEach(x -> seen.add(x[0]));
    }
    for (int epoch = 0; epoch < 2; epoch++) {
      Set<Integer> once = new HashSet<>(seen.subList(epoch * 1000, (epoch + 1) * 1000));
      assertEquals(1000, once.size(), "epoch " + epoch + " repeats or misses an example");
    }
    assertNotEquals(seen.subList(0, 1000), seen.subList(1000, 2000), "epochs are reshuffled");
  }

  @Test
  void groupedBatchesPadFarLessThanShuffledOnes() {
    List<int[]> items = items(1000);
    long grouped = paddedPositions(grouped(items, 3), 100);
    long shuffled = paddedPositions(new StepBatches<>(items, BATCH, 3), 100);
    // lengths are uniform on [1, 60]: a shuffled batch of 8 pads to about 54, a grouped one to
    // its group's neighbours' length (mean about 31)
    assertTrue(grouped < 0.7 * shuffled, "grouped " + grouped + " vs shuffled " + shuffled);
  }

  @Test
  void groupedBatchesAreAFunctionOfSeedAndStepAndDoNotCycleByLength() {
    List<int[]> items = items(1000);
    StepBatches<int[]> a = grouped(items, 3);
    StepBatches<int[]> b = grouped(items, 3);
    for (long step : new long[] {170, 3, 240, 0}) {
      assertEquals(ids(a.of(step)), ids(b.of(step)), "step " + step);
    }
    assertNotEquals(ids(grouped(items, 4).of(0)), ids(a.of(0)), "the seed matters");
    // sorted groups without the batch shuffle would give the first 50 steps rising lengths
    int[] longest = IntStream.range(0, 50)
        .map(s -> a.of(s).stream().mapToInt(x -> x[1]).max().orElseThrow()).toArray();
    int rises = 0;
    for (int s = 1; s < longest.length; s++) {
      rises += longest[s] > longest[s - 1] ? 1 : 0;
    }
    assertTrue(rises > 10 && rises < 35, "batch lengths within a group look sorted: " + rises);
  }

  @Test
  void groupsStayOnBatchBoundariesWhenTheBatchDoesNotDivideTheEpoch() {
    // 1,003 items: epoch 1 starts 3 positions into step 125's batch, epoch 2 6 positions in; were
    // the groups cut from each epoch's first position, every later batch would mix two groups
    List<int[]> items = items(1003);
    StepBatches<int[]> batches = grouped(items, 3);
    long first = paddedPositions(batches, 0, 120);
    long second = paddedPositions(batches, 126, 246);
    long third = paddedPositions(batches, 252, 372);
    assertTrue(second < 1.15 * first && third < 1.15 * first,
        "padding per epoch: " + first + ", " + second + ", " + third);
    long shuffled = paddedPositions(new StepBatches<>(items, BATCH, 3), 126, 246);
    assertTrue(second < 0.7 * shuffled, "grouped " + second + " vs shuffled " + shuffled);
  }

  @Test
  void aDataSetSmallerThanOneGroupIsStillShuffledByBatch() {
    List<int[]> items = items(200); // 25 batches, under one group of 50
    StepBatches<int[]> batches = grouped(items, 3);
    int[] longest = IntStream.range(0, 25)
        .map(s -> batches.of(s).stream().mapToInt(x -> x[1]).max().orElseThrow()).toArray();
    int rises = 0;
    for (int s = 1; s < longest.length; s++) {
      rises += longest[s] > longest[s - 1] ? 1 : 0;
    }
    assertTrue(rises < 20, "the batches run from short to long: " + rises + " rises in 24");
  }

  @Test
  void theSplitPermutationIsTheUngroupedFirstEpoch() {
    // held-out splits must not move when a stage turns grouping on
    List<int[]> items = items(296);
    StepBatches<int[]> plain = new StepBatches<>(items, BATCH, 5);
    List<Integer> firstEpoch = IntStream.range(0, 296 / BATCH).boxed()
        .flatMap(s -> ids(plain.of(s)).stream()).toList();
    assertEquals(firstEpoch, IntStream.of(plain.permutationForSplit()).boxed().toList());
    assertEquals(firstEpoch, IntStream.of(grouped(items, 5).permutationForSplit()).boxed().toList());
  }

  private static long paddedPositions(StepBatches<int[]> batches, int steps) {
    return paddedPositions(batches, 0, steps);
  }

  private static long paddedPositions(StepBatches<int[]> batches, long from, long to) {
    long total = 0;
    for (long s = from; s < to; s++) {
      total += (long) BATCH * batches.of(s).stream().mapToInt(x -> x[1]).max().orElseThrow();
    }
    return total;
  }

  private static List<Integer> ids(List<int[]> batch) {
    return batch.stream().map(x -> x[0]).toList();
  }
}
