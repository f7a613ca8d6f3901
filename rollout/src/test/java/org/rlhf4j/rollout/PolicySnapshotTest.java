package org.rlhf4j.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.kernels.VectorKernels;

/**
 * A snapshot frees only the copies it owns, and every one of them; a spare it leaves is what the
 * next freeze copies into.
 */
class PolicySnapshotTest {
  private static final Gpt GPT = new Gpt(new ModelConfig(11, 8, 16, 1, 2, 1e-5),
      EnumSet.noneOf(Head.class), new VectorKernels());

  @Test
  void aFrozenCopyIsFreedAndTheWeightsItWasCopiedFromAreNot() {
    ParameterStore live = GPT.initialParameters(1, DataType.FLOAT);
    PolicySnapshot frozen = PolicySnapshot.freeze(GPT, live, 3);
    assertTrue(frozen.free());
    assertTrue(frozen.params().flat().wasClosed());
    assertFalse(live.flat().wasClosed());
  }

  @Test
  void aMergedSnapshotFreesItsTrainableCopyToo() {
    ParameterStore merged = GPT.initialParameters(2, DataType.FLOAT);
    ParameterStore trainable = GPT.initialParameters(3, DataType.FLOAT);
    PolicySnapshot s = PolicySnapshot.ofMergedCopies(GPT, merged, 1, trainable);
    assertTrue(s.free());
    assertTrue(merged.flat().wasClosed());
    assertTrue(trainable.flat().wasClosed());
  }

  @Test
  void aSnapshotOverSomeoneElsesStoreFreesNothing() {
    ParameterStore live = GPT.initialParameters(4, DataType.FLOAT);
    assertFalse(new PolicySnapshot(GPT, live, 0).free());
    assertFalse(live.flat().wasClosed());
  }

  @Test
  void aFreedCopyIsWhatTheNextFreezeCopiesIntoAndSparesBeyondCapacityAreFreed() {
    SnapshotSpares spares = new SnapshotSpares(1);
    ParameterStore live = GPT.initialParameters(5, DataType.FLOAT);
    PolicySnapshot first = PolicySnapshot.freeze(GPT, live, 1, spares);
    PolicySnapshot second = PolicySnapshot.freeze(GPT, live, 2, spares);
    assertNotSame(first.params(), second.params());
    assertTrue(first.free());
    assertTrue(second.free());
    assertFalse(first.params().flat().wasClosed(), "kept for the next freeze");
    assertTrue(second.params().flat().wasClosed(), "one spare is kept, the next is freed");
    assertEquals(1, spares.size());

    live.flat().addi(1f); // training moved on
    PolicySnapshot third = PolicySnapshot.freeze(GPT, live, 3, spares);
    assertSame(first.params(), third.params());
    assertEquals(live.sha256(), third.params().sha256());
    assertEquals(0, spares.size());
    assertFalse(live.flat().wasClosed());
  }

  @Test
  void aSecondFreeDoesNothingEvenOnceTheCopyIsAnotherSnapshots() {
    SnapshotSpares spares = new SnapshotSpares(1);
    ParameterStore live = GPT.initialParameters(8, DataType.FLOAT);
    PolicySnapshot first = PolicySnapshot.freeze(GPT, live, 1, spares);
    assertTrue(first.free());
    assertFalse(first.free(), "its copy is already a spare");
    assertFalse(first.params().flat().wasClosed());
    assertEquals(1, spares.size());

    PolicySnapshot second = PolicySnapshot.freeze(GPT, live, 2, spares); // into first's copy
    assertSame(first.params(), second.params());
    assertFalse(first.free(), "the copy is the second snapshot's now");
    assertEquals(0, spares.size());
    assertFalse(second.params().flat().wasClosed());
  }

  @Test
  void aLeaseCannotBeBorrowedByAnotherSnapshot() {
    PolicySnapshot leased = PolicySnapshot.freeze(GPT, GPT.initialParameters(9, DataType.FLOAT),
        1, new SnapshotSpares(1));
    ParameterStore other = GPT.initialParameters(10, DataType.FLOAT);
    assertThrows(IllegalArgumentException.class,
        () -> new PolicySnapshot(GPT, other, 2, null, true, leased.lease()));
  }

  @Test
  void aSpareOfAnotherShapeOrTypeIsFreedAndTheFreezeMakesItsOwnCopy() {
    Gpt wider = new Gpt(new ModelConfig(11, 8, 32, 1, 2, 1e-5), EnumSet.noneOf(Head.class),
        new VectorKernels());
    ParameterStore live = GPT.initialParameters(7, DataType.FLOAT);
    SnapshotSpares spares = new SnapshotSpares(1);
    for (PolicySnapshot old : new PolicySnapshot[] {
        PolicySnapshot.freeze(wider, wider.initialParameters(6, DataType.FLOAT), 1, spares),
        PolicySnapshot.freeze(GPT, GPT.initialParameters(6, DataType.DOUBLE), 1, spares)}) {
      assertTrue(old.free());
      PolicySnapshot next = PolicySnapshot.freeze(GPT, live, 2, spares);
      assertTrue(old.params().flat().wasClosed());
      assertNotSame(old.params(), next.params());
      assertEquals(live.sha256(), next.params().sha256());
    }
  }
}
