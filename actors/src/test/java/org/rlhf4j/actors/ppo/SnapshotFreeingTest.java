package org.rlhf4j.actors.ppo;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;

/**
 * A policy snapshot is freed as soon as no worker reads it and it is not the latest, and not
 * before: workers release the snapshot they held when a new one arrives, between batches.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SnapshotFreeingTest {
  private ActorTestKit kit;
  private Gpt model;
  private ParameterStore weights;

  @BeforeAll
  void start() {
    kit = ActorTestKit.create("SnapshotFreeingTest");
    PpoPipeline.Spec spec = TinyRun.spec(TinyRun.config(""), Path.of("unused"),
        FaultInjection.none());
    model = spec.policyModel();
    weights = spec.initialPolicy();
  }

  @AfterAll
  void stop() {
    kit.shutdownTestKit();
  }

  private PolicySnapshot frozen(long version) {
    return PolicySnapshot.freeze(model, weights, version);
  }

  private static boolean freed(PolicySnapshot s) {
    return s.params().flat().wasClosed();
  }

  /** A coordinator over stand-ins: no work is issued, since no worker announces itself. */
  private ActorRef<Coordinator.Command> coordinator(PolicySnapshot initial) {
    TestProbe<Learner.Command> learner = kit.createTestProbe();
    TestProbe<RewardScorer.Command> scorer = kit.createTestProbe();
    Coordinator.Roles roles = new Coordinator.Roles() {
      @Override
      public ActorRef<Learner.Command> learner(ActorContext<Coordinator.Command> ctx) {
        return learner.ref();
      }

      @Override
      public ActorRef<RewardScorer.Command> scorer(ActorContext<Coordinator.Command> ctx,
          ActorRef<Learner.Command> l) {
        return scorer.ref();
      }

      @Override
      public void workers(ActorContext<Coordinator.Command> ctx,
          ActorRef<RewardScorer.Command> s) {}
    };
    return kit.spawn(Coordinator.create(new Coordinator.Settings(TinyRun.spec(
        TinyRun.config(""), Path.of("unused"), FaultInjection.none()).prompts(), 4, 1, 8, 7,
        new Coordinator.Bounds(3, Duration.ofMinutes(10)), Coordinator.Start.FRESH),
        initial, roles, (v, m) -> { }, new CompletableFuture<>()));
  }

  /** The next snapshot {@code worker} is handed (work it is handed on the way is skipped). */
  private static PolicySnapshot handed(TestProbe<RolloutWorker.Command> worker) {
    while (true) {
      if (worker.receiveMessage() instanceof RolloutWorker.UseWeights w) {
        return w.snapshot();
      }
    }
  }

  @Test
  void aSnapshotIsFreedWhenItsLastReaderMovesOnAndNotBefore() {
    PolicySnapshot v0 = frozen(0);
    PolicySnapshot v1 = frozen(1);
    PolicySnapshot v2 = frozen(2);
    ActorRef<Coordinator.Command> coordinator = coordinator(v0);
    TestProbe<RolloutWorker.Command> a = kit.createTestProbe();
    TestProbe<RolloutWorker.Command> b = kit.createTestProbe();
    coordinator.tell(new Coordinator.WorkerReady("a", a.ref()));
    coordinator.tell(new Coordinator.WorkerReady("b", b.ref()));
    assertSame(v0, handed(a));
    assertSame(v0, handed(b));

    coordinator.tell(new Coordinator.NewPolicy(v1));
    assertSame(v1, handed(a));
    assertSame(v1, handed(b));
    assertFalse(freed(v0), "both workers still read it");
    coordinator.tell(new Coordinator.WeightsReleased(v0));
    coordinator.tell(new Coordinator.NewPolicy(v2)); // its UseWeights order what came before
    assertSame(v2, handed(a));
    assertSame(v2, handed(b));
    assertFalse(freed(v0), "one worker still reads it");
    coordinator.tell(new Coordinator.WeightsReleased(v0));
    a.awaitAssert(() -> {
      assertTrue(freed(v0), "its last reader released it");
      return null;
    });

    // the latest is never freed, though nobody reads it for a moment
    coordinator.tell(new Coordinator.WeightsReleased(v1));
    coordinator.tell(new Coordinator.WeightsReleased(v1));
    coordinator.tell(new Coordinator.WeightsReleased(v2));
    coordinator.tell(new Coordinator.WeightsReleased(v2));
    a.awaitAssert(() -> {
      assertTrue(freed(v1));
      return null;
    });
    TestProbe<RolloutWorker.Command> c = kit.createTestProbe();
    coordinator.tell(new Coordinator.WorkerReady("c", c.ref()));
    assertSame(v2, handed(c));
    assertFalse(freed(v2), "the latest, handed to a worker that joined");
  }

  @Test
  void aReplacedSnapshotNobodyReadsIsFreedButOneOverAnotherStoreNever() {
    PolicySnapshot shared = new PolicySnapshot(model, weights, 0); // not copied: not its own
    PolicySnapshot v1 = frozen(1);
    ActorRef<Coordinator.Command> coordinator = coordinator(shared);
    coordinator.tell(new Coordinator.NewPolicy(v1));
    coordinator.tell(new Coordinator.NewPolicy(frozen(2)));
    TestProbe<RolloutWorker.Command> a = kit.createTestProbe();
    a.awaitAssert(() -> {
      assertTrue(freed(v1), "replaced with no reader");
      return null;
    });
    coordinator.tell(new Coordinator.WorkerReady("a", a.ref()));
    handed(a);
    assertFalse(freed(shared), "a snapshot over the run's own weights");
    assertFalse(weights.flat().wasClosed());
  }

  @Test
  void aWorkerReleasesTheSnapshotItHeldWhenHandedTheNextOne() {
    TestProbe<Coordinator.Command> coordinator = kit.createTestProbe();
    TestProbe<RewardScorer.Command> scorer = kit.createTestProbe();
    ActorRef<RolloutWorker.Command> worker = kit.spawn(RolloutWorker.create("w",
        coordinator.ref(), scorer.ref(), new RolloutWorker.Settings(new SamplingSettings(1.0, 0,
            1.0, false, 4, new int[0]), TinyRun.PAD, 1, 0), FaultInjection.none()));
    coordinator.expectMessageClass(Coordinator.WorkerReady.class);
    PolicySnapshot v0 = frozen(0);
    PolicySnapshot v1 = frozen(1);
    PolicySnapshot v2 = frozen(2);
    worker.tell(new RolloutWorker.UseWeights(v0));
    worker.tell(new RolloutWorker.UseWeights(v1));
    assertSame(v0, coordinator.expectMessageClass(Coordinator.WeightsReleased.class).snapshot(),
        "the first snapshot is held, not released");
    worker.tell(new RolloutWorker.UseWeights(v2));
    assertSame(v1, coordinator.expectMessageClass(Coordinator.WeightsReleased.class).snapshot());
  }
}
