package org.rlhf4j.actors.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rlhf4j.actors.cluster.NodeGateway;
import org.rlhf4j.actors.cluster.RolloutNode;
import org.rlhf4j.learner.async.Ledger;
import org.rlhf4j.protocol.MessageLogReader;
import org.rlhf4j.protocol.pb.LogRecord;
import org.rlhf4j.protocol.pb.NodeHello;
import org.rlhf4j.protocol.pb.PromptBatch;
import org.rlhf4j.protocol.pb.ScoredRollout;

/**
 * PPO with rollout nodes: a learner listening on 127.0.0.1 and nodes in other actor systems of
 * this JVM, joined through Artery TCP, so work, weights and rollouts all cross the wire.
 */
class RolloutNodeRunTest {
  private static final String SYNC = "async { max-in-flight = 8, max-lag = 0, "
      + "stall-timeout-seconds = 60 }, ppo.iterations = 3";

  @TempDir
  Path dir;

  @Test
  void aSynchronousRunSampledOnARolloutNodeEndsWithTheWeightsOfLocalWorkers() throws Exception {
    PpoPipeline.Outcome local = PpoPipeline.run(TinyRun.spec(TinyRun.config(SYNC),
        dir.resolve("local"), FaultInjection.none()), (s, t, n, v) -> { }, m -> { });

    int port = NodeRuns.freePort();
    CompletableFuture<PpoPipeline.Outcome> remote = NodeRuns.learner(
        TinyRun.config(SYNC + ", async.workers = 0"), dir.resolve("remote"), port);
    ActorSystem<Object> node = NodeRuns.node(RolloutNode.create("node-b", 2, 1,
        PpoPipeline.DISPATCHER), port);
    try {
      PpoPipeline.Outcome outcome = remote.get(120, TimeUnit.SECONDS);
      assertEquals(3, outcome.result().version());
      assertEquals(local.result().weightsSha256(), outcome.result().weightsSha256(),
          "the node sampled other rollouts than the local workers would have");
      assertEquals(java.util.Set.of("node-b/worker-0", "node-b/worker-1"),
          outcome.result().tokensPerSecond().keySet());
      Ledger ledger = outcome.result().learner();
      assertEquals(24, ledger.trained());
      assertEquals(0, ledger.duplicates() + ledger.droppedStale() + ledger.rejected());
      assertBehaviourMatchesTheLearnersRecomputation(dir.resolve("remote")
          .resolve(PpoPipeline.LOG));
    } finally {
      NodeRuns.stop(node);
    }
  }

  @Test
  void aLoraRunSendsTheNodeAdaptersOnlyAndEndsWithTheWeightsOfLocalWorkers() throws Exception {
    String lora = SYNC + ", " + LoraPipelineTest.LORA;
    PpoPipeline.Outcome local = PpoPipeline.run(TinyRun.spec(TinyRun.config(lora),
        dir.resolve("local-lora"), FaultInjection.none()), (s, t, n, v) -> { }, m -> { });

    int port = NodeRuns.freePort();
    java.util.List<String> notices = new java.util.concurrent.CopyOnWriteArrayList<>();
    CompletableFuture<PpoPipeline.Outcome> remote = NodeRuns.learner(
        TinyRun.config(lora + ", async.workers = 0"), dir.resolve("remote-lora"), port,
        notices::add);
    ActorSystem<Object> node = NodeRuns.node(RolloutNode.create("node-b", 2, 1,
        PpoPipeline.DISPATCHER), port);
    try {
      PpoPipeline.Outcome outcome = remote.get(120, TimeUnit.SECONDS);
      assertEquals(3, outcome.result().version());
      // the node merged each version's adapters onto its body as the learner does for its own
      // workers: the same samples, so the same final weights
      assertEquals(local.result().weightsSha256(), outcome.result().weightsSha256(),
          "the node sampled other rollouts than the local workers would have");
      org.rlhf4j.model.Gpt gpt = TinyRun.spec(TinyRun.config(lora), dir,
          FaultInjection.none()).policyModel();
      String said = String.join("\n", notices);
      assertTrue(said.contains("rollout node node-b joined with 2 worker(s); it gets the "
          + "policy's frozen body once (" + gpt.body().layout().totalSize() * 4 + " bytes), "
          + "then each version as heads and adapters (" + gpt.trainableLayout().totalSize() * 4
          + " bytes)"), said);
      assertEquals(24, outcome.result().learner().trained());
      assertBehaviourMatchesTheLearnersRecomputation(dir.resolve("remote-lora")
          .resolve(PpoPipeline.LOG));
    } finally {
      NodeRuns.stop(node);
    }
  }

  /**
   * The learner's scorer recomputes the log-probs of every response under the reference policy,
   * which is policy version 0: for the rollouts a node sampled from version 0, they must be the
   * node's behaviour log-probs.
   */
  private static void assertBehaviourMatchesTheLearnersRecomputation(Path log)
      throws IOException {
    int compared = 0;
    try (MessageLogReader reader = MessageLogReader.open(log)) {
      for (Optional<LogRecord> r = reader.next(); r.isPresent(); r = reader.next()) {
        if (!r.get().hasScoredRollout()
            || r.get().getScoredRollout().getRollout().getPolicyVersion() != 0) {
          continue;
        }
        ScoredRollout s = r.get().getScoredRollout();
        assertTrue(s.getRollout().getWorkerId().startsWith("node-b/"), s.getRollout()
            .getWorkerId());
        assertEquals(s.getReferenceLogprobsCount(), s.getRollout().getBehaviourLogprobsCount());
        for (int t = 0; t < s.getReferenceLogprobsCount(); t++) {
          assertEquals(s.getReferenceLogprobs(t), s.getRollout().getBehaviourLogprobs(t), 1e-5,
              "rollout " + s.getRollout().getRolloutId() + ", token " + t);
          compared++;
        }
      }
    }
    assertTrue(compared > 0, "no rollout of version 0 in the log");
  }

  /**
   * A node that says hello for one worker, takes its first batch and never answers: the test
   * stops it holding that batch.
   */
  private static Behavior<Object> silentNode(CompletableFuture<PromptBatch> taken) {
    return Behaviors.setup(context -> {
      context.getSystem().receptionist().tell(Receptionist.subscribe(NodeGateway.KEY,
          context.messageAdapter(Receptionist.Listing.class, l -> l)));
      String self = ActorRefResolver.get(context.getSystem())
          .toSerializationFormat(context.getSelf());
      boolean[] greeted = {false};
      return Behaviors.receiveMessage(m -> {
        if (m instanceof Receptionist.Listing l && !greeted[0]
            && !l.getServiceInstances(NodeGateway.KEY).isEmpty()) {
          greeted[0] = true;
          l.getServiceInstances(NodeGateway.KEY).iterator().next().tell(
              NodeHello.newBuilder().setNodeId("node-a").setWorkers(1).setReplyTo(self).build());
        } else if (m instanceof PromptBatch b) {
          taken.complete(b);
        }
        return Behaviors.same();
      });
    });
  }

  @Test
  void workHeldByANodeThatLeavesIsReissuedUnderItsIdsAndTheRunFinishes() throws Exception {
    int port = NodeRuns.freePort();
    // one batch of credits: the first batch cannot fill without the held item's rollouts
    CompletableFuture<PpoPipeline.Outcome> run = NodeRuns.learner(TinyRun.config(
        "async { workers = 0, max-in-flight = 8, stall-timeout-seconds = 60 }, "
            + "ppo.iterations = 3"), dir.resolve("run"), port);
    // the learner has no worker of its own, so the first item goes to the silent node
    CompletableFuture<PromptBatch> taken = new CompletableFuture<>();
    ActorSystem<Object> silent = NodeRuns.node(silentNode(taken), port);
    ActorSystem<Object> working = null;
    try {
      PromptBatch held = taken.get(60, TimeUnit.SECONDS);
      working = NodeRuns.node(RolloutNode.create("node-b", 1, 1, PpoPipeline.DISPATCHER), port);
      NodeRuns.stop(silent);
      PpoPipeline.Outcome outcome = run.get(120, TimeUnit.SECONDS);
      assertEquals(3, outcome.result().version());
      assertTrue(outcome.result().reissued() >= 1, "the held item was not re-issued: "
          + outcome.result());
      Ledger ledger = outcome.result().learner();
      assertEquals(0, ledger.duplicates(), "a rollout id was delivered twice");
      assertEquals(24, ledger.trained());
      assertEquals(java.util.Set.of("node-b/worker-0"),
          outcome.result().tokensPerSecond().keySet());
      assertEquals(0, held.getBatchId(), "the first item went elsewhere");
    } finally {
      NodeRuns.stop(silent);
      NodeRuns.stop(working);
    }
  }
}
