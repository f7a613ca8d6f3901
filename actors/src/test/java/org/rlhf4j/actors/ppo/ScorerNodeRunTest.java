package org.rlhf4j.actors.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rlhf4j.actors.cluster.NodeGateway;
import org.rlhf4j.actors.cluster.RolloutNode;
import org.rlhf4j.actors.cluster.ScorerNode;
import org.rlhf4j.learner.async.Ledger;
import org.rlhf4j.protocol.pb.Credit;
import org.rlhf4j.protocol.pb.FrozenModelChunk;
import org.rlhf4j.protocol.pb.NodeHello;
import org.rlhf4j.protocol.pb.ScoreRequest;
import org.rlhf4j.protocol.pb.ScorerReady;
import org.rlhf4j.protocol.pb.ScorerSetup;

/**
 * PPO with scorer nodes: the learner keeps no scorer of its own, and a node in another actor
 * system of this JVM, joined through Artery TCP on 127.0.0.1, receives the reward model and the
 * reference policy from it and scores every batch.
 */
class ScorerNodeRunTest {
  private static final String SYNC = "async { max-in-flight = 8, max-lag = 0, "
      + "stall-timeout-seconds = 60 }, ppo.iterations = 3";

  @TempDir
  Path dir;

  @Test
  void aSynchronousRunSampledAndScoredOnNodesEndsWithTheWeightsOfALocalRun() throws Exception {
    PpoPipeline.Outcome local = PpoPipeline.run(TinyRun.spec(TinyRun.config(SYNC),
        dir.resolve("local"), FaultInjection.none()), (s, t, n, v) -> { }, m -> { });

    int port = NodeRuns.freePort();
    // the learner alone: every rollout is sampled on one node and scored on the other
    CompletableFuture<PpoPipeline.Outcome> remote = NodeRuns.learner(TinyRun.config(SYNC
        + ", async { workers = 0, local-scorer = false }"), dir.resolve("remote"), port);
    ActorSystem<Object> scorer = NodeRuns.node(ScorerNode.create("node-s", 1,
        PpoPipeline.DISPATCHER, null, e -> { }), port);
    ActorSystem<Object> sampler = NodeRuns.node(RolloutNode.create("node-r", 2, 1,
        PpoPipeline.DISPATCHER), port);
    try {
      PpoPipeline.Outcome outcome = remote.get(120, TimeUnit.SECONDS);
      assertEquals(3, outcome.result().version());
      assertEquals(local.result().weightsSha256(), outcome.result().weightsSha256(),
          "the scorer node scored differently from the learner's own scorer");
      Ledger ledger = outcome.result().learner();
      assertEquals(24, ledger.trained());
      assertEquals(0, ledger.duplicates() + ledger.droppedStale() + ledger.rejected());
    } finally {
      NodeRuns.stop(sampler);
      NodeRuns.stop(scorer);
    }
  }

  @Test
  void aLoraRunScoredOnANodeAgainstTheBodyItWasSentEndsWithTheWeightsOfALocalRun()
      throws Exception {
    // with LoRA the reference the node receives is the policy's body, a view of the learner's
    // live weights: the node must score exactly as the learner's own scorer
    String lora = SYNC + ", " + LoraPipelineTest.LORA;
    PpoPipeline.Outcome local = PpoPipeline.run(TinyRun.spec(TinyRun.config(lora),
        dir.resolve("local-lora"), FaultInjection.none()), (s, t, n, v) -> { }, m -> { });

    int port = NodeRuns.freePort();
    CompletableFuture<PpoPipeline.Outcome> remote = NodeRuns.learner(TinyRun.config(lora
        + ", async { local-scorer = false }"), dir.resolve("remote-lora"), port);
    ActorSystem<Object> scorer = NodeRuns.node(ScorerNode.create("node-s", 1,
        PpoPipeline.DISPATCHER, null, e -> { }), port);
    try {
      PpoPipeline.Outcome outcome = remote.get(120, TimeUnit.SECONDS);
      assertEquals(3, outcome.result().version());
      assertEquals(local.result().weightsSha256(), outcome.result().weightsSha256(),
          "the scorer node scored differently from the learner's own scorer");
    } finally {
      NodeRuns.stop(scorer);
    }
  }

  @Test
  void aLearnerWithoutAScorerWhomNoScorerNodeJoinsStopsAtItsStallTimeoutSayingWhatIsMissing()
      throws Exception {
    CompletableFuture<PpoPipeline.Outcome> run = NodeRuns.learner(TinyRun.config(
        "async { local-scorer = false, stall-timeout-seconds = 2 }, ppo.iterations = 2"),
        dir.resolve("alone"), NodeRuns.freePort());
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> run.get(60, TimeUnit.SECONDS));
    assertInstanceOf(PipelineStalledException.class, e.getCause());
    assertTrue(e.getCause().getMessage().contains("no scorer of its own: did a scorer node "
        + "join?"), e.getCause().getMessage());
  }

  /**
   * A scorer node that takes both models, says it is ready, takes its first batch and never
   * answers: the test stops it holding that batch.
   */
  private static Behavior<Object> silentScorer(CompletableFuture<ScoreRequest> taken) {
    return Behaviors.setup(context -> {
      context.getSystem().receptionist().tell(Receptionist.subscribe(NodeGateway.KEY,
          context.messageAdapter(Receptionist.Listing.class, l -> l)));
      ActorRefResolver refs = ActorRefResolver.get(context.getSystem());
      String self = refs.toSerializationFormat(context.getSelf());
      boolean[] greeted = {false};
      AtomicReference<ActorRef<Object>> proxy = new AtomicReference<>();
      return Behaviors.receiveMessage(m -> {
        if (m instanceof Receptionist.Listing l && !greeted[0]
            && !l.getServiceInstances(NodeGateway.KEY).isEmpty()) {
          greeted[0] = true;
          l.getServiceInstances(NodeGateway.KEY).iterator().next().tell(NodeHello.newBuilder()
              .setNodeId("node-a").setRole(NodeGateway.SCORER).setReplyTo(self).build());
        } else if (m instanceof ScorerSetup s) {
          proxy.set(refs.resolveActorRef(s.getReplyTo()));
          // ready before the models arrive: it never scores anything
          proxy.get().tell(ScorerReady.newBuilder().setNodeId("node-a").setReplyTo(self).build());
        } else if (m instanceof FrozenModelChunk) {
          proxy.get().tell(Credit.newBuilder().setConsumerId(self)
              .setAmount(1).build());
        } else if (m instanceof ScoreRequest r) {
          taken.complete(r);
        }
        return Behaviors.same();
      });
    });
  }

  @Test
  void batchesHeldByAScorerNodeThatLeavesAreReissuedAndTheRunFinishes() throws Exception {
    int port = NodeRuns.freePort();
    CompletableFuture<PpoPipeline.Outcome> run = NodeRuns.learner(TinyRun.config(
        "async { workers = 2, local-scorer = false, max-in-flight = 8, "
            + "stall-timeout-seconds = 60 }, ppo.iterations = 3"), dir.resolve("run"), port);
    CompletableFuture<ScoreRequest> taken = new CompletableFuture<>();
    ActorSystem<Object> silent = NodeRuns.node(silentScorer(taken), port);
    ActorSystem<Object> working = null;
    try {
      ScoreRequest held = taken.get(60, TimeUnit.SECONDS);
      working = NodeRuns.node(ScorerNode.create("node-s", 1, PpoPipeline.DISPATCHER, null,
          e -> { }), port);
      NodeRuns.stop(silent);
      PpoPipeline.Outcome outcome = run.get(120, TimeUnit.SECONDS);
      assertEquals(3, outcome.result().version());
      assertTrue(outcome.result().reissued() >= 1, "the held batch was not re-issued: "
          + outcome.result());
      Ledger ledger = outcome.result().learner();
      assertEquals(0, ledger.duplicates(), "a rollout id was delivered twice");
      assertEquals(24, ledger.trained());
      assertTrue(held.getRolloutsCount() > 0);
      assertEquals(Set.of("worker-0", "worker-1"), outcome.result().tokensPerSecond().keySet());
    } finally {
      NodeRuns.stop(silent);
      NodeRuns.stop(working);
    }
  }
}
