package org.rlhf4j.learner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.model.ParameterStore;

class ShardedGradientTest {
  private static ParameterStore zeros() {
    return SftRunTest.spec(SftRunTest.config(1), null).initial().zerosLike();
  }

  @Test
  void anSftStepInTwoShardsComputesTheOneShardGradient() {
    // the same three steps with the batch whole and in two shards on two threads; the examples
    // differ in length, so the shards' means must be weighed by their tokens to agree
    RlhfConfig c = SftRunTest.config(3);
    SftRun.Spec s = SftRunTest.spec(c, null);
    ParameterStore whole = s.initial().copy(DataType.FLOAT);
    ParameterStore halves = s.initial().copy(DataType.FLOAT);
    SftTrainer one = new SftTrainer(s.gpt(), whole, new OptimizerStep(whole, c.optimizer(), 3,
        s.gpt().kernels()), c.sft(), s.data(), 1, 0, 1, 1);
    SftTrainer two = new SftTrainer(s.gpt(), halves, new OptimizerStep(halves, c.optimizer(), 3,
        s.gpt().kernels()), c.sft(), s.data(), 1, 0, 2, 1);
    for (long step = 0; step < 3; step++) {
      Map<String, Double> a = one.step(step);
      Map<String, Double> b = two.step(step);
      assertEquals(a.get(SftTrainer.LOSS), b.get(SftTrainer.LOSS), 1e-5, "loss at " + step);
      assertEquals(a.get(SftTrainer.TOKENS), b.get(SftTrainer.TOKENS));
      assertEquals(a.get(SftTrainer.GRAD_NORM), b.get(SftTrainer.GRAD_NORM), 1e-4);
    }
    assertArrayEquals(whole.flat().toFloatVector(), halves.flat().toFloatVector(), 1e-5f);
    assertNotEquals(s.initial().sha256(), halves.sha256(), "the steps moved the parameters");
  }

  @Test
  void shardsAreContiguousNearEqualAndNeverEmpty() {
    ShardedGradient g = new ShardedGradient(zeros(), 3, 1);
    assertEquals(List.of(List.of(1), List.of(2, 3), List.of(4, 5)), g.split(List.of(1, 2, 3, 4, 5)));
    assertEquals(List.of(List.of(1), List.of(2)), g.split(List.of(1, 2)));
  }

  @Test
  void eachShardsGradientIsAddedIntoTheCallersStore() {
    ParameterStore grads = zeros();
    ShardedGradient g = new ShardedGradient(grads, 2, 1);
    List<Function<ParameterStore, String>> work = List.of(
        s -> {
          s.flat().addi(1);
          return Thread.currentThread().getName();
        },
        s -> {
          s.flat().addi(2);
          return Thread.currentThread().getName();
        });
    List<String> threads = g.run(grads, work);
    assertEquals(Thread.currentThread().getName(), threads.get(0));
    assertNotEquals(threads.get(0), threads.get(1), "the second shard ran on its own thread");
    assertEquals(3.0 * grads.flat().length(), grads.flat().sumNumber().doubleValue(), 1e-9);
    // a second batch starts from zeroed shard stores
    grads.zero();
    g.run(grads, work);
    assertEquals(3.0 * grads.flat().length(), grads.flat().sumNumber().doubleValue(), 1e-9);
  }

  @Test
  void aFailureOnTheCallersShardStillWaitsForTheOthers() {
    ParameterStore grads = zeros();
    ShardedGradient g = new ShardedGradient(grads, 2, 1);
    AtomicBoolean finished = new AtomicBoolean();
    assertThrows(IllegalStateException.class, () -> g.run(grads,
        List.<Function<ParameterStore, Integer>>of(s -> {
          throw new IllegalStateException("first shard");
        }, s -> {
          try {
            Thread.sleep(200);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          finished.set(true);
          return 2;
        })));
    assertTrue(finished.get(), "run returned while the second shard still ran");
  }

  @Test
  void aShardsFailureIsRethrownToTheCaller() {
    ParameterStore grads = zeros();
    ShardedGradient g = new ShardedGradient(grads, 2, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> g.run(grads, List.<Function<ParameterStore, Integer>>of(s -> 1, s -> {
          throw new IllegalArgumentException("bad shard");
        })));
    assertEquals("bad shard", e.getMessage());
  }

  @Test
  void moreWorkThanShardsIsRefusedBeforeAnyRuns() {
    ParameterStore grads = zeros();
    ShardedGradient g = new ShardedGradient(grads, 2, 1);
    AtomicBoolean ran = new AtomicBoolean();
    Function<ParameterStore, Integer> w = s -> {
      ran.set(true);
      return 0;
    };
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> g.run(grads, List.of(w, w, w)));
    assertEquals("3 shards of work for 1 to 2", e.getMessage());
    assertFalse(ran.get());
  }
}
