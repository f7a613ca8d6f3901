package org.rlhf4j.actors.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
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
import org.rlhf4j.rollout.SnapshotSpares;

/**
 * A policy snapshot is freed as soon as no worker can read it and it is not the latest, and not
 * before: workers return the snapshot they held when a new one arrives, between batches; what a
 * restarted worker or a rollout node's proxy was handed is never freed, only forgotten.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SnapshotFreeingTest {
  private ActorTestKit kit;
  private Gpt model;
  private ParameterStore weights;
  private List<int[]> prompts;

  @BeforeAll
  void start() {
    kit = ActorTestKit.create("SnapshotFreeingTest");
    PpoPipeline.Spec spec = TinyRun.spec(TinyRun.config(""), Path.of("unused"),
        FaultInjection.none());
    model = spec.policyModel();
    weights = spec.initialPolicy();
    prompts = spec.prompts();
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

  /** A coordinator over stand-ins, whose rounds' metrics arrive in {@code rounds}. */
  private ActorRef<Coordinator.Command> coordinator(PolicySnapshot initial,
      BlockingQueue<Map<String, Double>> rounds) {
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
    return kit.spawn(Coordinator.create(new Coordinator.Settings(prompts, 4, 1, 8, 7,
        new Coordinator.Bounds(3, Duration.ofMinutes(10)), Coordinator.Start.FRESH),
        initial, roles, (v, m) -> rounds.add(m), new CompletableFuture<>()));
  }

  /**
   * The coordinator's metrics once it has handled every message told it before: a round's
   * metrics come from the handler of a message told after them.
   */
  private static Map<String, Double> settled(ActorRef<Coordinator.Command> coordinator,
      BlockingQueue<Map<String, Double>> rounds) throws InterruptedException {
    coordinator.tell(new Coordinator.RoundDone(0, Map.of(), Map.of()));
    Map<String, Double> m = rounds.poll(30, TimeUnit.SECONDS);
    assertTrue(m != null, "the coordinator answered");
    return m;
  }

  /** A stand-in worker {@code id} announced to {@code coordinator}. */
  private TestProbe<RolloutWorker.Command> ready(ActorRef<Coordinator.Command> coordinator,
      String id, boolean returnsWeights) {
    TestProbe<RolloutWorker.Command> worker = kit.createTestProbe();
    coordinator.tell(new Coordinator.WorkerReady(id, worker.ref(), returnsWeights));
    return worker;
  }

  @Test
  void aSnapshotIsFreedWhenItsLastReaderMovesOnAndNotBefore() throws InterruptedException {
    BlockingQueue<Map<String, Double>> rounds = new LinkedBlockingQueue<>();
    PolicySnapshot v0 = frozen(0);
    PolicySnapshot v1 = frozen(1);
    PolicySnapshot v2 = frozen(2);
    ActorRef<Coordinator.Command> coordinator = coordinator(v0, rounds);
    ready(coordinator, "a", true);
    ready(coordinator, "b", true);
    coordinator.tell(new Coordinator.NewPolicy(v1));
    assertEquals(2.0, settled(coordinator, rounds).get("weights/snapshots_held"));
    assertFalse(freed(v0), "both workers still read it");

    coordinator.tell(new Coordinator.WeightsReleased("a", v0));
    coordinator.tell(new Coordinator.WeightsReleased("a", v0)); // a's again: not b's
    settled(coordinator, rounds);
    assertFalse(freed(v0), "b still reads it");
    coordinator.tell(new Coordinator.WeightsReleased("b", v0));
    Map<String, Double> m = settled(coordinator, rounds);
    assertTrue(freed(v0), "its last reader returned it");
    assertEquals(1.0, m.get("weights/snapshots_freed"));
    assertEquals(1.0, m.get("weights/snapshots_held"));

    // the latest is never freed, though nobody reads it for a moment
    coordinator.tell(new Coordinator.WeightsReleased("a", v1));
    coordinator.tell(new Coordinator.WeightsReleased("b", v1));
    settled(coordinator, rounds);
    assertFalse(freed(v1), "the latest");
    coordinator.tell(new Coordinator.NewPolicy(v2));
    settled(coordinator, rounds);
    assertTrue(freed(v1), "replaced, and nobody read it");
    assertFalse(freed(v2));
  }

  @Test
  void theLearnersNextSnapshotReusesOnlyACopyNoWorkerReads() throws InterruptedException {
    BlockingQueue<Map<String, Double>> rounds = new LinkedBlockingQueue<>();
    SnapshotSpares spares = new SnapshotSpares(1);
    ParameterStore live = weights.copy();
    PolicySnapshot v0 = PolicySnapshot.freeze(model, live, 0, spares);
    live.flat().addi(1f);
    PolicySnapshot v1 = PolicySnapshot.freeze(model, live, 1, spares);
    String v1Weights = v1.params().sha256();
    ActorRef<Coordinator.Command> coordinator = coordinator(v0, rounds);
    ready(coordinator, "a", true);
    ready(coordinator, "b", true);
    coordinator.tell(new Coordinator.NewPolicy(v1));
    coordinator.tell(new Coordinator.WeightsReleased("a", v0));
    settled(coordinator, rounds);
    assertEquals(0, spares.size(), "b still reads v0: its copy is not a spare yet");

    coordinator.tell(new Coordinator.WeightsReleased("b", v0));
    settled(coordinator, rounds);
    assertEquals(1, spares.size());
    live.flat().addi(1f);
    PolicySnapshot v2 = PolicySnapshot.freeze(model, live, 2, spares);
    assertSame(v0.params(), v2.params(), "v2 is copied into what v0 was");
    assertEquals(live.sha256(), v2.params().sha256());
    assertEquals(v1Weights, v1.params().sha256(), "v1, which the workers read, is untouched");
  }

  @Test
  void aSnapshotOverAnotherStoreIsNeverFreed() throws InterruptedException {
    BlockingQueue<Map<String, Double>> rounds = new LinkedBlockingQueue<>();
    PolicySnapshot shared = new PolicySnapshot(model, weights, 0); // not copied: not its own
    ActorRef<Coordinator.Command> coordinator = coordinator(shared, rounds);
    coordinator.tell(new Coordinator.NewPolicy(frozen(1)));
    assertEquals(0.0, settled(coordinator, rounds).get("weights/snapshots_freed"));
    assertFalse(weights.flat().wasClosed());
  }

  @Test
  void aRestartedWorkersSnapshotsAndAProxysAreNeverFreedThenForgotten()
      throws InterruptedException {
    BlockingQueue<Map<String, Double>> rounds = new LinkedBlockingQueue<>();
    PolicySnapshot v0 = frozen(0);
    PolicySnapshot v1 = frozen(1);
    ActorRef<Coordinator.Command> coordinator = coordinator(v0, rounds);
    TestProbe<RolloutWorker.Command> a = ready(coordinator, "a", true);
    ready(coordinator, "p", false); // a rollout node's proxy
    // a restarts: a batch it gave up waiting for may still read v0, which it will never return
    coordinator.tell(new Coordinator.WorkerReady("a", a.ref(), true));
    coordinator.tell(new Coordinator.NewPolicy(v1));
    coordinator.tell(new Coordinator.WeightsReleased("a", v0)); // the new a's loan of v0
    coordinator.tell(new Coordinator.NewPolicy(frozen(2)));
    coordinator.tell(new Coordinator.WeightsReleased("a", v1));
    // returns of loans no counted worker holds: the first a's, again, and an unknown worker's
    coordinator.tell(new Coordinator.WeightsReleased("a", v1));
    coordinator.tell(new Coordinator.WeightsReleased("a", v0));
    coordinator.tell(new Coordinator.WeightsReleased("zz", v1));
    Map<String, Double> m = settled(coordinator, rounds);
    assertFalse(freed(v0), "read by a batch the first a gave up on, and by the proxy");
    assertFalse(freed(v1), "handed to the proxy, whose broadcast reads it later");
    assertEquals(0.0, m.get("weights/snapshots_freed"));
    assertEquals(1.0, m.get("weights/snapshots_held"), "the latest, which a and the proxy read");
  }

  @Test
  void snapshotsNoWorkerCanReadAreNotKeptForTheRestOfTheRun() {
    SnapshotLoans loans = new SnapshotLoans();
    PolicySnapshot v0 = frozen(0);
    PolicySnapshot v1 = frozen(1);
    loans.lend("a", v0, true);
    loans.lend("p", v0, false); // a proxy
    assertEquals(1, loans.held());
    loans.abandoned("a", v1); // a restarted while v1 was the latest
    assertEquals(0, loans.held(), "v0: not the latest, no counted reader: forgotten");
    assertFalse(loans.returned("a", v0), "a loan written off at the restart");
    assertFalse(loans.returned("zz", v0), "an unknown worker");
    loans.lend("a", v1, true);
    loans.lend("b", v1, true);
    loans.abandoned("a", null);
    assertEquals(1, loans.held(), "b still reads v1");
    assertFalse(loans.mayFree(v1));
    loans.returned("b", v1);
    assertFalse(loans.mayFree(v1), "a gave up on a batch that may read it");
    assertEquals(0, loans.held(), "forgotten once no counted worker reads it");
    loans.lend("b", v0, true);
    loans.abandoned("b", v1);
    assertEquals(0, loans.held(), "abandoned, not the latest, read by nobody: forgotten");
  }

  @Test
  void aWorkerReturnsTheSnapshotItHeldWhenHandedTheNextOne() {
    TestProbe<Coordinator.Command> coordinator = kit.createTestProbe();
    TestProbe<RewardScorer.Command> scorer = kit.createTestProbe();
    ActorRef<RolloutWorker.Command> worker = kit.spawn(RolloutWorker.create("w",
        coordinator.ref(), scorer.ref(), new RolloutWorker.Settings(new SamplingSettings(1.0, 0,
            1.0, false, 4, new int[0]), TinyRun.PAD, 1, 0), FaultInjection.none()));
    assertTrue(coordinator.expectMessageClass(Coordinator.WorkerReady.class).returnsWeights());
    PolicySnapshot v0 = frozen(0);
    PolicySnapshot v1 = frozen(1);
    PolicySnapshot v2 = frozen(2);
    worker.tell(new RolloutWorker.UseWeights(v0));
    worker.tell(new RolloutWorker.UseWeights(v1));
    Coordinator.WeightsReleased first =
        coordinator.expectMessageClass(Coordinator.WeightsReleased.class);
    assertSame(v0, first.snapshot(), "the first snapshot is held, not returned");
    assertEquals("w", first.workerId());
    worker.tell(new RolloutWorker.UseWeights(v2));
    assertSame(v1, coordinator.expectMessageClass(Coordinator.WeightsReleased.class).snapshot());
    // a batch on the snapshot it holds: what comes next is the batch's, not a return of v2
    worker.tell(new RolloutWorker.Generate(new Work(0, 1, List.of(new int[] {1, 2}), 1, 3)));
    Coordinator.Command next = coordinator.receiveMessage();
    assertTrue(next instanceof Coordinator.WorkDone, "after the batch: " + next);
    assertEquals(2, ((Coordinator.WorkDone) next).policyVersion());
  }
}
