package org.rlhf4j.rollout;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.kernels.VectorKernels;

/** A snapshot frees only the copies it owns, and every one of them. */
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
}
