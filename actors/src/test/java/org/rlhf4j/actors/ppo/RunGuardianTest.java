package org.rlhf4j.actors.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.Subscribe;
import org.junit.jupiter.api.Test;
import org.rlhf4j.actors.cluster.ClusterMembers;
import org.rlhf4j.actors.cluster.ClusterNodeConfig;

class RunGuardianTest {
  /** A coordinator that stops once {@code gate} completes, as one does when its run ends. */
  private static Behavior<Coordinator.Command> stoppingWhen(CompletableFuture<Void> gate) {
    return Behaviors.<Object>setup(context -> {
      context.pipeToSelf(gate, (done, failure) -> "over");
      return Behaviors.receiveMessage(m -> Behaviors.stopped());
    }).narrow();
  }

  @Test
  void aStoppedCoordinatorShutsTheSystemDownBecauseTheRunEnded() throws Exception {
    ActorSystem<Void> system = ActorSystem.create(
        RunGuardian.create(stoppingWhen(CompletableFuture.completedFuture(null))), "guardian");
    system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(Optional.of(RunGuardian.RunEnded.INSTANCE),
        CoordinatedShutdown.get(system).getShutdownReason());
  }

  @Test
  void aLearnerWhoseRunEndedLeavesTheClusterBeforeItStops() throws Exception {
    CompletableFuture<Void> runOver = new CompletableFuture<>();
    ActorSystem<Void> learner = ActorSystem.create(RunGuardian.create(stoppingWhen(runOver)),
        PpoPipeline.SYSTEM, ClusterNodeConfig.of("127.0.0.1", 0, List.of(), config()));
    Cluster seed = Cluster.get(learner);
    seed.manager().tell(Join.create(seed.selfMember().address()));
    ActorSystem<Void> node = ActorSystem.create(Behaviors.empty(), PpoPipeline.SYSTEM,
        ClusterNodeConfig.of("127.0.0.1", 0, List.of(seed.selfMember().address().toString()),
            config()));
    try {
      ClusterMembers.awaitUp(seed, 2, Duration.ofSeconds(60));
      TestProbe<ClusterEvent.MemberExited> exits = TestProbe.create(node);
      Cluster.get(node).subscriptions().tell(
          Subscribe.create(exits.getRef(), ClusterEvent.MemberExited.class));
      runOver.complete(null);
      // a member that stops without leaving is marked unreachable instead, and never exits
      ClusterEvent.MemberExited exited = exits.expectMessageClass(
          ClusterEvent.MemberExited.class, Duration.ofSeconds(60));
      assertEquals(seed.selfMember().address(), exited.member().address());
      learner.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } finally {
      learner.terminate();
      node.terminate();
      node.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  private static com.typesafe.config.Config config() {
    return ConfigFactory.parseString("pekko.cluster.jmx.multi-mbeans-in-same-jvm = on\n"
        + "pekko.loglevel = WARNING").withFallback(ConfigFactory.load());
  }
}
