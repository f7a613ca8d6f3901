package org.rlhf4j.actors.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.learner.async.RolloutScoring;
import org.rlhf4j.model.ThreadNiceness;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;

/**
 * Credit-based flow control with a stand-in learner (a test probe) that consumes only when the
 * test says so: a learner that does not keep up stops the rollouts at the credit bound.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CreditFlowTest {
  private ActorTestKit testKit;

  @BeforeAll
  void start() {
    testKit = ActorTestKit.create("CreditFlowTest");
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  /** Real workers and scorer on the tiny models, feeding {@code learner}. */
  private ActorRef<Coordinator.Command> coordinator(TestProbe<Learner.Command> learner,
      int credits, int workers) {
    return coordinator(learner, credits, workers, Duration.ofMinutes(10),
        new CompletableFuture<>());
  }

  private ActorRef<Coordinator.Command> coordinator(TestProbe<Learner.Command> learner,
      int credits, int workers, Duration stallTimeout, CompletableFuture<PipelineResult> result) {
    return coordinator(learner, credits, workers, stallTimeout, result, 0, 0);
  }

  /** As above, the workers at niceness {@code workerNice} and the scorer at {@code scorerNice}. */
  private ActorRef<Coordinator.Command> coordinator(TestProbe<Learner.Command> learner,
      int credits, int workers, Duration stallTimeout, CompletableFuture<PipelineResult> result,
      int workerNice, int scorerNice) {
    PpoPipeline.Spec spec = TinyRun.spec(TinyRun.config(""), Path.of("unused"),
        FaultInjection.none());
    RolloutScoring scoring = new RolloutScoring(spec.rewardModel(), spec.reward(),
        spec.policyModel(), spec.initialPolicy(), 1.0, TinyRun.PAD);
    RolloutWorker.Settings sampling = new RolloutWorker.Settings(
        new SamplingSettings(1.0, 0, 1.0, false, 6, new int[] {TinyRun.EOS}), TinyRun.PAD, 1,
        workerNice);
    Coordinator.Roles roles = new Coordinator.Roles() {
      @Override
      public ActorRef<Learner.Command> learner(ActorContext<Coordinator.Command> ctx) {
        return learner.ref();
      }

      @Override
      public ActorRef<RewardScorer.Command> scorer(ActorContext<Coordinator.Command> ctx,
          ActorRef<Learner.Command> l) {
        return ctx.spawn(RewardScorer.create(ctx.getSelf(), l, scoring, 1, scorerNice,
            FaultInjection.none()), "scorer");
      }

      @Override
      public void workers(ActorContext<Coordinator.Command> ctx,
          ActorRef<RewardScorer.Command> scorer) {
        for (int i = 0; i < workers; i++) {
          ctx.spawn(RolloutWorker.create("w" + i, ctx.getSelf(), scorer, sampling,
              FaultInjection.none()), "w" + i);
        }
      }
    };
    PolicySnapshot initial = new PolicySnapshot(spec.policyModel(),
        spec.initialPolicy().copy(DataType.FLOAT), 0);
    return testKit.spawn(Coordinator.create(new Coordinator.Settings(spec.prompts(), 4, 1,
        credits, 7, new Coordinator.Bounds(3, stallTimeout), Coordinator.Start.FRESH),
        initial, roles, (v, m) -> { }, result));
  }

  @Test
  void aLearnerThatDoesNotConsumeStopsTheRolloutsAtTheCreditBound() {
    TestProbe<Learner.Command> learner = testKit.createTestProbe();
    ActorRef<Coordinator.Command> coordinator = coordinator(learner, 12, 2);

    // 12 credits = three work items of 4 rollouts, then nothing until credits come back
    List<Learner.Learn> first = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      first.add(learner.expectMessageClass(Learner.Learn.class, Duration.ofSeconds(30)));
    }
    learner.expectNoMessage(Duration.ofMillis(1500));
    assertEquals(12, first.stream().mapToInt(l -> l.rollouts().size()).sum());

    // returning one item's credits releases exactly one more item
    Learner.Learn done = first.get(0);
    coordinator.tell(new Coordinator.Consumed(done.workId(), 4, 4));
    Learner.Learn next = learner.expectMessageClass(Learner.Learn.class, Duration.ofSeconds(30));
    learner.expectNoMessage(Duration.ofMillis(1000));

    Set<Long> ids = new HashSet<>();
    for (Learner.Learn l : List.of(first.get(0), first.get(1), first.get(2), next)) {
      l.rollouts().forEach(r -> assertTrue(ids.add(r.getRollout().getRolloutId())));
    }
    assertEquals(16, ids.size());
  }

  @Test
  void creditsHeldByTheLearnersBufferAreNotReissued() {
    TestProbe<Learner.Command> learner = testKit.createTestProbe();
    ActorRef<Coordinator.Command> coordinator = coordinator(learner, 8, 1);
    Learner.Learn a = learner.expectMessageClass(Learner.Learn.class, Duration.ofSeconds(30));
    Learner.Learn b = learner.expectMessageClass(Learner.Learn.class, Duration.ofSeconds(30));
    // the learner took both items but keeps the rollouts buffered: no credit comes back
    coordinator.tell(new Coordinator.Consumed(a.workId(), 4, 0));
    coordinator.tell(new Coordinator.Consumed(b.workId(), 4, 0));
    learner.expectNoMessage(Duration.ofMillis(1500));
    // its round trains them and frees all eight at once
    coordinator.tell(new Coordinator.Consumed(b.workId(), 0, 8));
    Map<Long, Integer> sizes = Map.of(
        learner.expectMessageClass(Learner.Learn.class, Duration.ofSeconds(30)).workId(), 4,
        learner.expectMessageClass(Learner.Learn.class, Duration.ofSeconds(30)).workId(), 4);
    assertEquals(Set.of(2L, 3L), sizes.keySet());
  }

  @Test
  void theWorkersAndTheScorerComputeAtTheirNiceness() throws IOException {
    assumeTrue(Files.isSymbolicLink(Path.of("/proc/thread-self")), "Linux's per-thread niceness");
    assumeTrue(ThreadNiceness.ofCurrentThread() < 13, "a test JVM not already that nice");
    // niceness values no other test asks for, so each count is of this test's threads alone
    assertEquals(0, threadsAtNiceness(13));
    assertEquals(0, threadsAtNiceness(14));
    TestProbe<Learner.Command> learner = testKit.createTestProbe();
    coordinator(learner, 4, 1, Duration.ofMinutes(10), new CompletableFuture<>(), 13, 14);
    // one item sampled and scored
    learner.expectMessageClass(Learner.Learn.class, Duration.ofSeconds(30));
    // exactly one each: their compute threads. The actors themselves run on the test kit's
    // shared dispatcher, whose threads stay at the JVM's niceness.
    assertEquals(1, threadsAtNiceness(13), "the worker's compute thread");
    assertEquals(1, threadsAtNiceness(14), "the scorer's compute thread");
  }

  /** How many of this process's threads the kernel runs at {@code niceness}. */
  private static long threadsAtNiceness(int niceness) throws IOException {
    long count = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path task : tasks) {
        try {
          count += ThreadNiceness.of(task.resolve("stat")) == niceness ? 1 : 0;
        } catch (NoSuchFileException ended) {
          // a thread that ended while we looked
        }
      }
    }
    return count;
  }

  @Test
  void aLearnerThatNeverFinishesARoundEndsTheRunAfterTheStallTimeout() throws Exception {
    TestProbe<Learner.Command> learner = testKit.createTestProbe();
    CompletableFuture<PipelineResult> result = new CompletableFuture<>();
    coordinator(learner, 8, 1, Duration.ofSeconds(2), result);
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> result.get(2, TimeUnit.MINUTES));
    assertTrue(e.getCause() instanceof PipelineFailedException, e.getCause().toString());
    assertTrue(e.getCause().getMessage().contains("no policy update for 2 s"),
        e.getCause().getMessage());
    assertTrue(e.getCause().getMessage().contains("scoring or in the learner"),
        e.getCause().getMessage());
  }
}
