package org.rlhf4j.learner.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PpoObjectiveTest {
  private static final double LN_1_5 = Math.log(1.5);
  private static final double LN_0_9 = Math.log(0.9);

  /**
   * (B=2, T=3): tokens 0 and 1 are real; token 2 and the whole second row are padding filled with
   * junk that must change nothing.
   */
  private static PpoObjective.Batch handBatch() {
    return new PpoObjective.Batch(new BatchShape(2, 3),
        new double[] {LN_1_5 - 1.0, LN_0_9 - 2.0, 5, 5, 5, 5}, // logp
        new double[] {-1.0, -2.0, -9, -9, -9, -9}, // logpOld
        null,
        new double[] {2.0, -1.0, 3, 3, 3, 3}, // advantages
        new double[] {1.0, 0.1, 8, 8, 8, 8}, // values
        new double[] {0.5, 0.0, -8, -8, -8, -8}, // valuesOld
        new double[] {2.0, -1.0, 4, 4, 4, 4}, // returns
        new double[] {2.0, 1.0, 6, 6, 6, 6}, // entropy
        new double[] {1, 1, 0, 0, 0, 0});
  }

  @Test
  void lossGradientsAndStatisticsMatchAHandComputation() {
    PpoObjective ppo = new PpoObjective(PpoObjective.Settings.standard(0.2, 0.2, 0.1, 0.01));
    double[] dLogp = new double[6];
    double[] dValues = new double[6];
    double[] dEntropy = new double[6];
    PpoObjective.Result r = ppo.forwardBackward(dLogp, dValues, dEntropy, handBatch());
    // token 0: ρ = 1.5, A = 2: arms −2·1.5 = −3 and −2·clip(1.5) = −2·1.2 = −2.4; the clipped arm
    //          wins, so no gradient
    // token 1: ρ = 0.9, A = −1: both arms 0.9 (inside the range); gradient −A·ρ = 0.9
    assertEquals((-2.4 + 0.9) / 2, r.policyLoss(), 1e-15);
    assertEquals(1.0 / 2, r.clipFrac(), 0.0);
    // token 0: v = 1, clip(1, 0.3, 0.7) = 0.7, R = 2: (1−2)² = 1 < (0.7−2)² = 1.69, clipped, no
    //          gradient
    // token 1: v = 0.1 inside [−0.2, 0.2], R = −1: both (1.1)² = 1.21; gradient v − R = 1.1
    assertEquals((0.5 * 1.69 + 0.5 * 1.21) / 2, r.valueLoss(), 1e-15);
    assertEquals(1.0 / 2, r.valueClipFrac(), 0.0);
    assertEquals((2.0 + 1.0) / 2, r.entropy(), 1e-15);
    assertEquals(-0.75 + 0.1 * 0.725 - 0.01 * 1.5, r.loss(), 1e-15);
    assertEquals(0.5 * (LN_1_5 * LN_1_5 + LN_0_9 * LN_0_9) / 2, r.approxKl(), 1e-15);
    assertEquals((1.5 + 0.9) / 2, r.ratioMean(), 1e-15);
    assertTrue(Double.isNaN(r.behaviourWeightMean()));
    // each gradient carries the 1/N of the masked mean, N = 2
    assertArrayEquals(new double[] {0, 0.9 / 2, 0, 0, 0, 0}, dLogp, 1e-15);
    assertArrayEquals(new double[] {0, 0.1 * 1.1 / 2, 0, 0, 0, 0}, dValues, 1e-15);
    assertArrayEquals(new double[] {-0.01 / 2, -0.01 / 2, 0, 0, 0, 0}, dEntropy, 1e-15);
  }

  @Test
  void gradientsAreAddedToWhatTheOutputsAlreadyHold() {
    PpoObjective ppo = new PpoObjective(PpoObjective.Settings.standard(0.2, 0.2, 0.1, 0.01));
    double[] dLogp = {1, 1, 1, 1, 1, 1};
    ppo.forwardBackward(dLogp, null, null, handBatch());
    assertArrayEquals(new double[] {1, 1 + 0.45, 1, 1, 1, 1}, dLogp, 1e-15);
  }

  @Test
  void theDecoupledObjectiveClipsAgainstTheProximalPolicyAndTruncatesTheBehaviourWeight() {
    PpoObjective ppo = new PpoObjective(new PpoObjective.Settings(0.2, 0.2, 0.0, 0.0, true, 1.5));
    double[] logpOld = {-2.0, -1.0};
    double[] logpProx = {-2.0 + Math.log(2), -1.0 + Math.log(0.5)};
    double[] logp = {logpProx[0] + Math.log(1.1), logpProx[1] + Math.log(0.5)};
    PpoObjective.Batch batch = new PpoObjective.Batch(new BatchShape(1, 2), logp, logpOld,
        logpProx, new double[] {1.0, -2.0}, null, null, null, null, new double[] {1, 1});
    double[] dLogp = new double[2];
    PpoObjective.Result r = ppo.forwardBackward(dLogp, null, null, batch);
    // token 0: w = min(π_prox/π_old = 2, cap 1.5) = 1.5; ρ = π/π_prox = 1.1 inside, A = 1:
    //          1.5·(−1.1) = −1.65, gradient 1.5·(−1·1.1) = −1.65
    // token 1: w = 0.5; ρ = 0.5, A = −2: arms 2·0.5 = 1 and 2·0.8 = 1.6, clipped wins:
    //          0.5·1.6 = 0.8, no gradient
    assertEquals((-1.65 + 0.8) / 2, r.policyLoss(), 1e-14);
    assertEquals(r.policyLoss(), r.loss(), 0.0);
    assertArrayEquals(new double[] {-1.65 / 2, 0}, dLogp, 1e-14);
    assertEquals(0.5, r.clipFrac(), 0.0);
    assertEquals((1.5 + 0.5) / 2, r.behaviourWeightMean(), 1e-15);
    assertEquals(0.5, r.behaviourWeightCappedFrac(), 0.0);
    assertEquals((1.1 + 0.5) / 2, r.ratioMean(), 1e-15);
    double ln11 = Math.log(1.1);
    double ln05 = Math.log(0.5);
    assertEquals(0.5 * (ln11 * ln11 + ln05 * ln05) / 2, r.approxKl(), 1e-15);
    assertTrue(Double.isNaN(r.valueLoss()));
  }

  /** (B=2, T=4) with every region of both maxes; see the comments per token. */
  private static PpoObjective.Batch regionBatch(boolean decoupled) {
    // ρ and A, ε = 0.2:
    // 0: ρ 1.1,  A  0.7  inside: arms tie          4: ρ 1.4,  A −0.6  unclipped arm larger
    // 1: ρ 1.5,  A  1.3  clipped arm larger        5: ρ 0.95, A −1.1  inside: arms tie
    // 2: ρ 0.6,  A −0.8  clipped arm larger        6: ρ 1.25, A  0.4  clipped arm larger
    // 3: ρ 0.5,  A  0.9  unclipped arm larger      7: padding
    double[] ratio = {1.1, 1.5, 0.6, 0.5, 1.4, 0.95, 1.25, 3.0};
    double[] adv = {0.7, 1.3, -0.8, 0.9, -0.6, -1.1, 0.4, 5.0};
    double[] logpOld = new double[8];
    double[] logpProx = decoupled ? new double[8] : null;
    double[] logp = new double[8];
    // log(π_prox/π_old); with cap 2, tokens 0 and 4 are truncated
    double[] behaviour = {Math.log(3), Math.log(0.5), 0.1, -0.2, Math.log(2.5), 0.0, 0.3, 1.0};
    for (int i = 0; i < 8; i++) {
      logpOld[i] = -1.0 - 0.1 * i;
      double anchor = logpOld[i];
      if (decoupled) {
        logpProx[i] = logpOld[i] + behaviour[i];
        anchor = logpProx[i];
      }
      logp[i] = anchor + Math.log(ratio[i]);
    }
    // v, v_old, R, εv = 0.2:
    // 0: inside, tie                        4: outside, unclipped arm larger
    // 1: outside, clipped arm larger        5: inside, tie
    // 2: outside, unclipped arm larger      6: inside, tie
    // 3: outside, clipped arm larger        7: padding
    double[] values = {0.6, 1.0, 1.0, -0.5, -0.5, 0.35, 0.15, 9.0};
    double[] valuesOld = {0.5, 0.5, 0.5, 0.0, 0.0, 0.3, 0.3, -9.0};
    double[] returns = {1.0, 2.0, 0.0, -1.0, 1.0, -0.2, 0.4, 4.0};
    double[] entropy = {1.2, 0.8, 2.0, 1.5, 0.3, 0.9, 1.1, 7.0};
    double[] mask = {1, 1, 1, 1, 1, 1, 1, 0};
    return new PpoObjective.Batch(new BatchShape(2, 4), logp, logpOld, logpProx, adv, values,
        valuesOld, returns, entropy, mask);
  }

  private static void checkAgainstFiniteDifferences(PpoObjective ppo, PpoObjective.Batch batch,
      String what) {
    double[] dLogp = new double[8];
    double[] dValues = new double[8];
    double[] dEntropy = new double[8];
    PpoObjective.Result r = ppo.forwardBackward(dLogp, dValues, dEntropy, batch);
    assertEquals(3.0 / 7, r.clipFrac(), 0.0);
    assertEquals(2.0 / 7, r.valueClipFrac(), 0.0);
    // the clipped tokens and the padding get exactly nothing; the rest something
    for (int i : new int[] {1, 2, 6, 7}) {
      assertEquals(0.0, dLogp[i], 0.0, "dLogp[" + i + "]");
    }
    for (int i : new int[] {0, 3, 4, 5}) {
      assertNotEquals(0.0, dLogp[i], "dLogp[" + i + "]");
    }
    for (int i : new int[] {1, 3, 7}) {
      assertEquals(0.0, dValues[i], 0.0, "dValues[" + i + "]");
    }
    CentralDifference.check(what + " dLogp", batch.logp(), dLogp,
        () -> ppo.forward(batch).loss(), 1e-8);
    CentralDifference.check(what + " dValues", batch.values(), dValues,
        () -> ppo.forward(batch).loss(), 1e-8);
    CentralDifference.check(what + " dEntropy", batch.entropy(), dEntropy,
        () -> ppo.forward(batch).loss(), 1e-8);
  }

  @Test
  void gradientsMatchCentralDifferencesInClippedAndUnclippedRegions() {
    PpoObjective ppo = new PpoObjective(PpoObjective.Settings.standard(0.2, 0.2, 0.5, 0.01));
    checkAgainstFiniteDifferences(ppo, regionBatch(false), "standard");
  }

  @Test
  void decoupledGradientsMatchCentralDifferencesWithSomeWeightsTruncated() {
    PpoObjective ppo = new PpoObjective(new PpoObjective.Settings(0.2, 0.2, 0.5, 0.01, true, 2.0));
    PpoObjective.Batch batch = regionBatch(true);
    checkAgainstFiniteDifferences(ppo, batch, "decoupled");
    assertEquals(2.0 / 7, ppo.forward(batch).behaviourWeightCappedFrac(), 0.0);
  }

  @Test
  void whereTheArmsTieTheGradientIsTheUnclippedArmsAloneNotTwice() {
    // ρ = 1.1 inside [0.8, 1.2], so −A·ρ = −A·clip(ρ); v = 0.3 inside [0.05, 0.45], likewise
    PpoObjective ppo = new PpoObjective(PpoObjective.Settings.standard(0.2, 0.2, 1.0, 0.0));
    PpoObjective.Batch batch = new PpoObjective.Batch(new BatchShape(1, 2),
        new double[] {Math.log(1.1) - 1.0, -3.0}, new double[] {-1.0, -3.0}, null,
        new double[] {0.7, 0.0}, new double[] {0.3, 0.5}, new double[] {0.25, 0.5},
        new double[] {1.0, 0.5}, null, new double[] {1, 1});
    double[] dLogp = new double[2];
    double[] dValues = new double[2];
    PpoObjective.Result r = ppo.forwardBackward(dLogp, dValues, null, batch);
    // one arm: −A·ρ/N = −0.7·1.1/2 and (v − R)/N = (0.3 − 1)/2; summing both arms, as SameDiff
    // did, would double them. Token 1 ties with A = 0 and v = R: zero either way.
    assertArrayEquals(new double[] {-0.7 * 1.1 / 2, 0}, dLogp, 1e-15);
    assertArrayEquals(new double[] {(0.3 - 1.0) / 2, 0}, dValues, 1e-15);
    assertEquals(0.0, r.clipFrac(), 0.0);
    assertEquals(0.0, r.valueClipFrac(), 0.0);
    CentralDifference.check("tie dLogp", batch.logp(), dLogp, () -> ppo.forward(batch).loss(),
        1e-9);
    CentralDifference.check("tie dValues", batch.values(), dValues,
        () -> ppo.forward(batch).loss(), 1e-9);
  }

  @Test
  void onTheValueClipBoundaryTheGradientIsTheOneSidedDerivativeFromInsideTheRange() {
    // v = v_old + εv exactly (0.5 + 0.25 = 0.75 in binary): clip(v) = v, the arms tie
    PpoObjective ppo = new PpoObjective(PpoObjective.Settings.standard(0.2, 0.25, 1.0, 0.0));
    double[] values = {0.75};
    PpoObjective.Batch batch = new PpoObjective.Batch(new BatchShape(1, 1), new double[] {-1.0},
        new double[] {-1.0}, null, new double[] {0.0}, values, new double[] {0.5},
        new double[] {2.0}, null, new double[] {1});
    double[] dValues = new double[1];
    ppo.forwardBackward(null, dValues, null, batch);
    assertEquals(0.75 - 2.0, dValues[0], 0.0);
    double h = 1e-6;
    double at = ppo.forward(batch).loss();
    values[0] = 0.75 - h;
    double below = ppo.forward(batch).loss();
    values[0] = 0.75 + h;
    double above = ppo.forward(batch).loss();
    values[0] = 0.75;
    // from inside the range the loss is ½(v − R)²; beyond it the clipped arm is constant
    assertEquals(dValues[0], (at - below) / h, 1e-6);
    assertEquals(0.0, (above - at) / h, 1e-9);
  }

  @Test
  void theDecoupledObjectiveReducesToTheStandardOneWhenProximalIsBehaviourAndTheCapIsLarge() {
    PpoObjective.Batch standardBatch = regionBatch(false);
    PpoObjective.Batch decoupledBatch = new PpoObjective.Batch(standardBatch.shape(),
        standardBatch.logp(), standardBatch.logpOld(), standardBatch.logpOld().clone(),
        standardBatch.advantages(), standardBatch.values(), standardBatch.valuesOld(),
        standardBatch.returns(), standardBatch.entropy(), standardBatch.mask());
    PpoObjective standard = new PpoObjective(PpoObjective.Settings.standard(0.2, 0.2, 0.5, 0.01));
    PpoObjective decoupled = new PpoObjective(
        new PpoObjective.Settings(0.2, 0.2, 0.5, 0.01, true, 1e9));
    double[][] gStandard = new double[3][8];
    double[][] gDecoupled = new double[3][8];
    PpoObjective.Result a = standard.forwardBackward(gStandard[0], gStandard[1], gStandard[2],
        standardBatch);
    PpoObjective.Result b = decoupled.forwardBackward(gDecoupled[0], gDecoupled[1],
        gDecoupled[2], decoupledBatch);
    assertEquals(a.loss(), b.loss(), 1e-15);
    assertEquals(a.policyLoss(), b.policyLoss(), 1e-15);
    assertEquals(a.approxKl(), b.approxKl(), 1e-15);
    assertEquals(a.clipFrac(), b.clipFrac(), 0.0);
    assertEquals(a.ratioMean(), b.ratioMean(), 1e-15);
    assertEquals(1.0, b.behaviourWeightMean(), 0.0);
    assertEquals(0.0, b.behaviourWeightCappedFrac(), 0.0);
    for (int k = 0; k < 3; k++) {
      assertArrayEquals(gStandard[k], gDecoupled[k], 1e-15);
    }
  }

  /** {@code batch} with reference log-probs and β added. */
  private static PpoObjective.Batch withReference(PpoObjective.Batch b, double[] logpRef,
      double klCoef) {
    return new PpoObjective.Batch(b.shape(), b.logp(), b.logpOld(), b.logpProx(), b.advantages(),
        b.values(), b.valuesOld(), b.returns(), b.entropy(), b.mask(), logpRef, klCoef);
  }

  @Test
  void theReferenceKlAddsBetaTimesTheMeanK3AndItsGradientEvenOnClippedTokens() {
    PpoObjective ppo = new PpoObjective(PpoObjective.Settings.standard(0.2, 0.2, 0.0, 0.0));
    PpoObjective.Batch hand = handBatch();
    double[] logp = hand.logp();
    // r = logp_ref − logp: ln 2 on token 0, −ln 2 on token 1; junk on the padding
    double[] logpRef = {logp[0] + Math.log(2), logp[1] - Math.log(2), 7, 7, 7, 7};
    PpoObjective.Batch batch = withReference(new PpoObjective.Batch(hand.shape(), logp,
        hand.logpOld(), null, hand.advantages(), null, null, null, null, hand.mask()), logpRef,
        0.1);
    double[] dLogp = new double[6];
    PpoObjective.Result r = ppo.forwardBackward(dLogp, null, null, batch);
    // k3 = (eʳ − 1) − r: 1 − ln 2 and (½ − 1) + ln 2, mean ¼
    assertEquals(0.25, r.referenceKl(), 1e-15);
    assertEquals(0.25, r.metrics().get(PpoMetrics.LOSS_KL_AVG), 1e-15);
    // the policy loss as in lossGradientsAndStatisticsMatchAHandComputation, plus β·¼
    assertEquals(-0.75, r.policyLoss(), 1e-15);
    assertEquals(-0.75 + 0.1 * 0.25, r.loss(), 1e-15);
    // β/N · (1 − eʳ): token 0 (clipped, no policy gradient) 0.05·(1 − 2), token 1 0.45 + 0.05·½
    assertArrayEquals(new double[] {-0.05, 0.45 + 0.025, 0, 0, 0, 0}, dLogp, 1e-15);
  }

  @Test
  void theReferenceKlGradientMatchesCentralDifferences() {
    double[] offsets = {0.3, -0.5, 0.1, 1.2, -0.8, 0.05, -0.2, 9.0};
    for (boolean decoupled : new boolean[] {false, true}) {
      PpoObjective ppo = new PpoObjective(
          new PpoObjective.Settings(0.2, 0.2, 0.5, 0.01, decoupled, 2.0));
      PpoObjective.Batch region = regionBatch(decoupled);
      double[] logpRef = new double[8];
      for (int i = 0; i < 8; i++) {
        logpRef[i] = region.logp()[i] + offsets[i];
      }
      PpoObjective.Batch batch = withReference(region, logpRef, 0.3);
      double[] dLogp = new double[8];
      PpoObjective.Result r = ppo.forwardBackward(dLogp, null, null, batch);
      double[] withoutKl = new double[8];
      ppo.forwardBackward(withoutKl, null, null, region);
      for (int i : new int[] {1, 2, 6}) {
        // clipped tokens: the KL term's gradient alone
        assertEquals(0.3 / 7 * -Math.expm1(offsets[i]), dLogp[i], 1e-15, "dLogp[" + i + "]");
      }
      assertEquals(0.0, dLogp[7], 0.0, "padding");
      assertTrue(r.loss() > ppo.forward(region).loss(), "k3 > 0 where the policies differ");
      CentralDifference.check((decoupled ? "decoupled" : "standard") + " with KL dLogp",
          batch.logp(), dLogp, () -> ppo.forward(batch).loss(), 1e-8);
    }
  }

  @Test
  void aKlCoefficientWithoutReferenceLogProbsOrANegativeOneIsRejected() {
    PpoObjective.Batch hand = handBatch();
    assertThrows(IllegalArgumentException.class, () -> withReference(hand, null, 0.1));
    assertThrows(IllegalArgumentException.class,
        () -> withReference(hand, hand.logpOld(), -0.1));
    assertThrows(IllegalArgumentException.class,
        () -> withReference(hand, new double[5], 0.1));
    PpoObjective ppo = new PpoObjective(PpoObjective.Settings.standard(0.2, 0.2, 0.1, 0.01));
    assertTrue(Double.isNaN(ppo.forward(hand).referenceKl()));
    assertFalse(ppo.forward(hand).metrics().containsKey(PpoMetrics.LOSS_KL_AVG));
  }

  @Test
  void metricsCarryTrlNamesAndLeaveOutWhatWasNotComputed() {
    PpoObjective ppo = new PpoObjective(PpoObjective.Settings.standard(0.2, 0.2, 0.1, 0.01));
    Map<String, Double> m = ppo.forward(handBatch()).metrics();
    assertEquals(-0.6925, m.get("loss/total"), 1e-15);
    assertEquals(-0.75, m.get("loss/policy_avg"), 1e-15);
    assertEquals(0.725, m.get("loss/value_avg"), 1e-15);
    assertEquals(1.5, m.get("objective/entropy"), 1e-15);
    assertEquals(0.5, m.get("policy/clipfrac_avg"), 0.0);
    assertEquals(0.5, m.get("val/clipfrac_avg"), 0.0);
    assertEquals(1.2, m.get("val/ratio"), 1e-15);
    assertTrue(m.containsKey("policy/approxkl_avg"));
    assertFalse(m.containsKey(PpoMetrics.POLICY_BEHAVIOUR_WEIGHT_AVG));
  }

  @Test
  void aCriticFreeBatchHasOnlyThePolicyTerm() {
    PpoObjective ppo = new PpoObjective(PpoObjective.Settings.standard(0.2, 0.2, 0.0, 0.0));
    PpoObjective.Batch hand = handBatch();
    PpoObjective.Batch noCritic = new PpoObjective.Batch(hand.shape(), hand.logp(),
        hand.logpOld(), null, hand.advantages(), null, null, null, null, hand.mask());
    PpoObjective.Result r = ppo.forward(noCritic);
    assertEquals(-0.75, r.loss(), 1e-15);
    assertTrue(Double.isNaN(r.valueLoss()));
    assertFalse(r.metrics().containsKey(PpoMetrics.LOSS_VALUE_AVG));
  }

  @Test
  void inconsistentBatchesAndSettingsAreRejected() {
    PpoObjective.Batch hand = handBatch();
    PpoObjective decoupled = new PpoObjective(
        new PpoObjective.Settings(0.2, 0.2, 0.1, 0.01, true, 2.0));
    assertThrows(IllegalArgumentException.class, () -> decoupled.forward(hand));
    PpoObjective.Batch allPadding = new PpoObjective.Batch(hand.shape(), hand.logp(),
        hand.logpOld(), null, hand.advantages(), hand.values(), hand.valuesOld(), hand.returns(),
        hand.entropy(), new double[6]);
    PpoObjective standard = new PpoObjective(PpoObjective.Settings.standard(0.2, 0.2, 0.1, 0.01));
    assertThrows(IllegalArgumentException.class, () -> standard.forward(allPadding));
    assertThrows(IllegalArgumentException.class, () -> new PpoObjective.Batch(hand.shape(),
        new double[5], hand.logpOld(), null, hand.advantages(), null, null, null, null,
        hand.mask()));
    assertThrows(IllegalArgumentException.class,
        () -> PpoObjective.Settings.standard(1.5, 0.2, 0.1, 0.0));
    assertThrows(IllegalArgumentException.class,
        () -> new PpoObjective.Settings(0.2, 0.2, 0.1, 0.0, true, 0.5));
  }
}
