package org.rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.kernels.FiniteDifferences;
import org.rlhf4j.model.kernels.VectorKernels;

/** Logits on the rows a loss reads only: the same numbers and gradients as on every row. */
class LogitRowsTest {
  private static final ModelConfig SMALL = new ModelConfig(40, 8, 16, 2, 2, 1e-5);
  private static final TokenBatch BATCH = TokenBatch.rightPadded(
      List.of(new int[] {1, 2, 3, 4, 5}, new int[] {6, 7}, new int[] {8, 9, 10}), 0);
  private static final int[] ROWS = {1, 2, 3, 5, 11, 12};

  @Test
  void logitsOnChosenRowsAreThoseRowsOfTheFullLogitsAndSoAreTheirGradients() {
    Gpt gpt = new Gpt(SMALL, EnumSet.noneOf(Head.class), new VectorKernels());
    ParameterStore p = gpt.initialParameters(3, DataType.FLOAT);
    ForwardPass full = gpt.forward(p, BATCH, EnumSet.of(Output.LOGITS));
    ForwardPass some = gpt.forward(p, BATCH, EnumSet.of(Output.LOGITS), ROWS);
    assertArrayEquals(new long[] {ROWS.length, 40}, some.logits().shape());
    INDArray dsome = FiniteDifferences.random(5, 1, ROWS.length * 40L).reshape(ROWS.length, 40)
        .castTo(DataType.FLOAT);
    INDArray dfull = Nd4j.zeros(DataType.FLOAT, BATCH.rows(), 40);
    for (int i = 0; i < ROWS.length; i++) {
      assertArrayEquals(full.logits().getRow(ROWS[i]).toFloatVector(),
          some.logits().getRow(i).toFloatVector(), 1e-6f, "row " + ROWS[i]);
      dfull.getRow(ROWS[i]).assign(dsome.getRow(i));
    }
    ParameterStore gFull = p.zerosLike();
    ParameterStore gSome = p.zerosLike();
    gpt.backward(p, gFull, full, dfull, null, null);
    gpt.backward(p, gSome, some, dsome, null, null);
    for (ParameterSpec spec : p.layout().specs()) {
      assertArrayEquals(gFull.get(spec.name()).ravel().toFloatVector(),
          gSome.get(spec.name()).ravel().toFloatVector(), 1e-5f, spec.name());
    }
  }

  @Test
  void targetRowsKeepTheRowsWithATargetAndSpreadBack() {
    TargetRows rows = TargetRows.of(new int[] {-1, 4, 7, -1, 2});
    assertArrayEquals(new int[] {1, 2, 4}, rows.rows());
    assertArrayEquals(new int[] {4, 7, 2}, rows.targets());
    assertArrayEquals(new double[] {0, 0.5, 0.25, 0, 2}, rows.spread(new double[] {0.5, 0.25, 2}));
    assertArrayEquals(new double[] {9, 8, 6}, rows.gather(new double[] {1, 9, 8, 7, 6}));
    assertEquals(0, TargetRows.of(new int[] {-1, -1}).count());
  }

  @Test
  void aValuesOnlyEvaluationHasTheValuesAndValueGradientsOfAFullOne() {
    Gpt gpt = new Gpt(SMALL, EnumSet.of(Head.VALUE), new VectorKernels());
    ParameterStore p = gpt.initialParameters(4, DataType.FLOAT);
    int[] targets = new int[BATCH.rows()];
    java.util.Arrays.fill(targets, -1);
    targets[2] = 4;
    PolicyEvaluation full = PolicyEvaluation.of(gpt, p, BATCH, targets, 1.0, false, true);
    PolicyEvaluation values = PolicyEvaluation.valuesOnly(gpt, p, BATCH);
    assertArrayEquals(full.values(), values.values(), 1e-6);
    double[] dv = FiniteDifferences.random(6, 1, BATCH.rows()).toDoubleVector();
    ParameterStore gFull = p.zerosLike();
    ParameterStore gValues = p.zerosLike();
    full.backward(gFull, null, null, dv);
    values.backward(gValues, null, null, dv);
    assertArrayEquals(gFull.flat().toFloatVector(), gValues.flat().toFloatVector(), 1e-6f);
    assertThrows(IllegalStateException.class, values::logprobs);
    assertThrows(IllegalStateException.class,
        () -> values.backward(gValues, new double[BATCH.rows()], null, null));
  }
}
