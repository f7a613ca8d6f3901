package org.rlhf4j.actors.ppo;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rlhf4j.learner.ProgressListener;

/** A PPO run that cannot go on ends with a clear error instead of waiting for ever. */
class PipelineFailureTest {
  @TempDir Path dir;

  /** The tiny run with every prompt replaced by one too long for the context with a response. */
  private static PpoPipeline.Spec tooLongPrompts(String overrides, Path out) {
    PpoPipeline.Spec s = TinyRun.spec(TinyRun.config(overrides), out, FaultInjection.none());
    int[] prompt = new int[TinyRun.SMALL.contextLength() - 2]; // + 6 response tokens > context
    java.util.Arrays.fill(prompt, 3);
    return new PpoPipeline.Spec(s.config(), s.policyModel(), s.initialPolicy(), s.rewardModel(),
        s.reward(), s.criticModel(), s.initialCritic(), s.tokenizer(), s.eosId(), s.padId(),
        List.of(prompt, prompt), out, s.kernels(), s.threads(), s.faults());
  }

  @Test
  void aWorkItemThatKeepsFailingEndsTheRunWithTheWorkersReason() {
    PipelineFailedException e = assertThrows(PipelineFailedException.class,
        () -> PpoPipeline.run(tooLongPrompts("", dir.resolve("long")), ProgressListener.none()));
    assertTrue(e.getMessage().contains("failed 3 times (rlhf4j.async.work-attempts = 3)"),
        e.getMessage());
    assertTrue(e.getMessage().contains("exceeds the context length"), e.getMessage());
  }

  @Test
  void aWorkerThatGivesUpAfterItsRestartsEndsTheRun() {
    // work items may fail often enough that the supervisor's restart limit is reached first
    PipelineFailedException e = assertThrows(PipelineFailedException.class,
        () -> PpoPipeline.run(tooLongPrompts("async.work-attempts = 1000", dir.resolve("gone")),
            ProgressListener.none()));
    assertTrue(e.getMessage().contains("failed for good"), e.getMessage());
  }
}
