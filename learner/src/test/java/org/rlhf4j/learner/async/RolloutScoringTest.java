package org.rlhf4j.learner.async;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.rlhf4j.learner.RewardTrainer;
import org.rlhf4j.learner.async.TinySetup.Rig;
import org.rlhf4j.protocol.pb.FinishReason;
import org.rlhf4j.protocol.pb.Rollout;
import org.rlhf4j.protocol.pb.ScoredRollout;
import org.rlhf4j.rollout.GenerationEngine;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.Response;

class RolloutScoringTest {
  private static final List<int[]> PROMPTS = List.of(new int[] {1}, new int[] {2, 3},
      new int[] {3}, new int[] {1, 2, 4}, new int[] {4}, new int[] {2});

  private static List<Rollout> rollouts(Rig rig, PolicySnapshot policy) {
    List<Response> responses = new GenerationEngine(9, TinySetup.PAD).generate(policy, PROMPTS,
        rig.sampling());
    List<Rollout> out = new ArrayList<>();
    for (int i = 0; i < responses.size(); i++) {
      out.add(RolloutMessages.of(responses.get(i), 100 + i, 10 + i, "w", i));
    }
    return out;
  }

  private static int[] ints(List<Integer> xs) {
    return xs.stream().mapToInt(Integer::intValue).toArray();
  }

  @Test
  void referenceLogprobsEqualTheBehaviourLogprobsWhenTheReferenceSampledAtTheSameTemperature() {
    Rig rig = TinySetup.rig(TinySetup.ppo("temperature = 0.7"), 0, 7);
    PolicySnapshot reference = new PolicySnapshot(rig.reference().model(),
        rig.reference().params(), 0);
    double largest = 0;
    for (ScoredRollout sr : rig.scoring().score(rollouts(rig, reference))) {
      Rollout r = sr.getRollout();
      assertEquals(r.getResponseIdsCount(), sr.getReferenceLogprobsCount());
      for (int k = 0; k < r.getResponseIdsCount(); k++) {
        largest = Math.max(largest,
            Math.abs(sr.getReferenceLogprobs(k) - r.getBehaviourLogprobs(k)));
      }
    }
    System.out.printf("reference vs behaviour log-probs: largest difference %.3g%n", largest);
    assertTrue(largest < 1e-4, "largest difference " + largest);
  }

  @Test
  void theScoreIsTheRewardModelsScoreOfPromptAndResponseAlone() {
    Rig rig = TinySetup.rig(TinySetup.ppo(""), 0, 7);
    List<Rollout> rollouts = rollouts(rig, rig.learner().snapshot());
    List<ScoredRollout> scored = rig.scoring().score(rollouts);
    assertEquals(rollouts.size(), scored.size());
    for (int i = 0; i < rollouts.size(); i++) {
      Rollout r = rollouts.get(i);
      assertEquals(r, scored.get(i).getRollout(), "the rollout is carried unchanged");
      double alone = RewardTrainer.score(rig.reward().model(), rig.reward().params(),
          List.of(ints(r.getPromptIdsList())), List.of(ints(r.getResponseIdsList())), 24,
          TinySetup.PAD, 1)[0];
      assertEquals(alone, scored.get(i).getScore(), 1e-4, "rollout " + r.getRolloutId());
    }
  }

  @Test
  void aRolloutMessageCarriesTheResponseItsIdsAndWhyItEnded() {
    Response stopped = new Response(new int[] {1, 2}, new int[] {5, TinySetup.EOS},
        new float[] {-0.5f, -1.25f}, org.rlhf4j.rollout.FinishReason.STOP_TOKEN, 3);
    Rollout r = RolloutMessages.of(stopped, 42, 7, "worker-2", 9);
    assertEquals(42, r.getRolloutId());
    assertEquals(7, r.getPromptId());
    assertEquals("worker-2", r.getWorkerId());
    assertEquals(9, r.getSequenceNumber());
    assertEquals(3, r.getPolicyVersion());
    assertArrayEquals(new int[] {1, 2}, ints(r.getPromptIdsList()));
    assertArrayEquals(new int[] {5, TinySetup.EOS}, ints(r.getResponseIdsList()));
    assertEquals(List.of(-0.5f, -1.25f), r.getBehaviourLogprobsList());
    assertEquals(FinishReason.FINISH_REASON_STOP_TOKEN, r.getFinishReason());
    Response cut = new Response(new int[] {1}, new int[] {5}, new float[] {-0.5f},
        org.rlhf4j.rollout.FinishReason.LENGTH, 0);
    assertEquals(FinishReason.FINISH_REASON_LENGTH,
        RolloutMessages.of(cut, 1, 1, "w", 0).getFinishReason());
  }

  @Test
  void aRolloutLongerThanTheModelsContextIsRefusedByItsId() {
    Rig rig = TinySetup.rig(TinySetup.ppo(""), 0, 7);
    Rollout tooLong = Rollout.newBuilder().setRolloutId(77).addAllPromptIds(List.of(1, 2, 3, 4))
        .addAllResponseIds(java.util.Collections.nCopies(21, 5))
        .addAllBehaviourLogprobs(java.util.Collections.nCopies(21, -1f)).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> rig.scoring().score(List.of(tooLong)));
    assertTrue(e.getMessage().contains("rollout 77"), e.getMessage());
  }
}
