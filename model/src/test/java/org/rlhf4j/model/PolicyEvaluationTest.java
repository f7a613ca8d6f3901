package org.rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.kernels.FiniteDifferences;
import org.rlhf4j.model.kernels.Nd4jKernels;

class PolicyEvaluationTest {
  private static final ModelConfig TINY = new ModelConfig(9, 8, 8, 1, 2, 1e-5);
  private static final double T = 0.7;

  @Test
  void logProbsEntropiesAndValuesHaveFiniteDifferenceGradients() {
    Gpt gpt = new Gpt(TINY, EnumSet.of(Head.VALUE), new Nd4jKernels());
    ParameterStore p = gpt.initialParameters(1, DataType.DOUBLE);
    p.flat().addi(FiniteDifferences.random(2, 0.4, p.flat().length()));
    TokenBatch batch = TokenBatch.rightPadded(List.of(new int[] {1, 2, 3, 4}, new int[] {5, 6}), 0);
    int[] targets = {2, 3, 4, -1, 6, -1, -1, -1};
    double[] a = FiniteDifferences.random(3, 1, 8).toDoubleVector();
    double[] b = FiniteDifferences.random(4, 1, 8).toDoubleVector();
    double[] c = FiniteDifferences.random(5, 1, 8).toDoubleVector();
    DoubleSupplier loss = () -> {
      PolicyEvaluation e = PolicyEvaluation.of(gpt, p, batch, targets, T, true, true);
      return dot(a, e.logprobs()) + dot(b, e.entropies()) + dot(c, e.values());
    };
    ParameterStore g = p.zerosLike();
    PolicyEvaluation.of(gpt, p, batch, targets, T, true, true).backward(g, a, b, c);
    for (ParameterSpec spec : p.layout().specs()) {
      FiniteDifferences.check(spec.name(), p.get(spec.name()), g.get(spec.name()), loss, 8, 7,
          1e-6);
    }
  }

  @Test
  void logProbsAreTheTemperedLogSoftmaxOfTheTarget() {
    Gpt gpt = new Gpt(TINY, EnumSet.noneOf(Head.class), new Nd4jKernels());
    ParameterStore p = gpt.initialParameters(1, DataType.DOUBLE);
    TokenBatch batch = TokenBatch.rightPadded(List.of(new int[] {1, 2, 3}), 0);
    INDArray logits = gpt.forward(p, batch, EnumSet.of(Output.LOGITS)).logits();
    PolicyEvaluation e = PolicyEvaluation.of(gpt, p, batch, new int[] {2, 3, -1}, T, true, false);
    double[] row = logits.getRow(1).toDoubleVector();
    double z = 0;
    double entropy = 0;
    for (double v : row) {
      z += Math.exp(v / T);
    }
    for (double v : row) {
      double q = Math.exp(v / T) / z;
      entropy -= q * Math.log(q);
    }
    assertEquals(row[3] / T - Math.log(z), e.logprobs()[1], 1e-12);
    assertEquals(entropy, e.entropies()[1], 1e-12);
    assertEquals(0.0, e.logprobs()[2], 0.0);
  }

  @Test
  void backwardRunsOnceBecauseTheProbabilitiesBecomeTheLogitsGradient() {
    Gpt gpt = new Gpt(TINY, EnumSet.noneOf(Head.class), new Nd4jKernels());
    ParameterStore p = gpt.initialParameters(1, DataType.DOUBLE);
    TokenBatch batch = TokenBatch.rightPadded(List.of(new int[] {1, 2, 3}), 0);
    try (PolicyEvaluation e = PolicyEvaluation.of(gpt, p, batch, new int[] {2, 3, -1}, T, true,
        false)) {
      ParameterStore g = p.zerosLike();
      e.backward(g, new double[] {1, 1, 0}, new double[] {0.5, 0.5, 0}, null);
      IllegalStateException again = assertThrows(IllegalStateException.class,
          () -> e.backward(g, new double[] {1, 1, 0}, null, null));
      assertTrue(again.getMessage().contains("runs once"), again.getMessage());
    }
  }

  @Test
  void anEntropyAloneHasTheGradientOfZeroLogProbWeights() {
    Gpt gpt = new Gpt(TINY, EnumSet.noneOf(Head.class), new Nd4jKernels());
    ParameterStore p = gpt.initialParameters(1, DataType.DOUBLE);
    TokenBatch batch = TokenBatch.rightPadded(List.of(new int[] {1, 2, 3, 4}), 0);
    int[] targets = {2, 3, 4, -1};
    double[] dentropy = {0.3, -0.2, 0.5, 0};
    ParameterStore alone = p.zerosLike();
    ParameterStore withZeros = p.zerosLike();
    try (PolicyEvaluation e = PolicyEvaluation.of(gpt, p, batch, targets, T, true, false)) {
      e.backward(alone, null, dentropy, null);
    }
    try (PolicyEvaluation e = PolicyEvaluation.of(gpt, p, batch, targets, T, true, false)) {
      e.backward(withZeros, new double[4], dentropy, null);
    }
    assertEquals(withZeros.sha256(), alone.sha256());
    assertTrue(alone.squaredNorm() > 0, "the entropy has a gradient");
  }

  private static double dot(double[] x, double[] y) {
    double s = 0;
    for (int i = 0; i < x.length; i++) {
      s += x[i] * y[i];
    }
    return s;
  }
}
