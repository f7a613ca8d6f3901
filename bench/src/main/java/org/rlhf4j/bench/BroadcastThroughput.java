package org.rlhf4j.bench;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.rlhf4j.actors.cluster.ClusterMembers;
import org.rlhf4j.actors.cluster.ClusterNodeConfig;
import org.rlhf4j.actors.cluster.WeightsBroadcaster;
import org.rlhf4j.actors.cluster.WeightsReceiver;
import org.rlhf4j.model.GptLayout;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterLayout;
import org.rlhf4j.model.ParameterStore;

/**
 * Policy versions of a peer shape sent by a learner node to N rollout nodes, every node an
 * actor system of this JVM on 127.0.0.1 joined in one cluster, so the bytes cross Artery's TCP on
 * loopback. Two versions warm the path up (the JIT still compiles Artery's and the checks' code
 * during the second); the next three are each timed from the broadcast until every node holds
 * it whole and checked, written into an earlier one's memory, as a node in a run writes each
 * version into one its workers no longer read.
 */
public final class BroadcastThroughput {
  private static final long BOUND_SECONDS = 600;
  private static final int WARMUP_VERSIONS = 2;
  private static final int TIMED_VERSIONS = 3;

  /**
   * What the timed versions took: {@code bytes} of each to each of {@code nodes};
   * {@code seconds} is their median, {@code timed} each one's in order.
   */
  public record Result(long bytes, int nodes, double seconds, List<Double> timed) {
    /** Megabytes (10^6) delivered per second, all nodes together. */
    public double megabytesPerSecond() {
      return bytes * (double) nodes / seconds / 1e6;
    }
  }

  private record Arrival(ParameterStore params, long nanos) {}

  private BroadcastThroughput() {}

  public static Result run(PeerShape shape, int nodes, int chunkBytes, int window)
      throws Exception {
    ParameterLayout layout = GptLayout.of(shape.model(), EnumSet.noneOf(Head.class));
    List<ActorSystem<?>> systems = new ArrayList<>();
    try {
      ActorSystem<Void> learner = system("learner", Behaviors.empty());
      systems.add(learner);
      Cluster seed = Cluster.get(learner);
      seed.manager().tell(Join.create(seed.selfMember().address()));
      // per version, per node: the assembled weights and when they were handed out
      List<List<CompletableFuture<Arrival>>> arrivals = new ArrayList<>();
      List<CompletableFuture<ActorRef<Object>>> receivers = new ArrayList<>();
      int versions = WARMUP_VERSIONS + TIMED_VERSIONS;
      for (int v = 0; v < versions; v++) {
        arrivals.add(new ArrayList<>());
      }
      for (int n = 0; n < nodes; n++) {
        List<CompletableFuture<Arrival>> mine = new ArrayList<>();
        for (int v = 0; v < versions; v++) {
          CompletableFuture<Arrival> f = new CompletableFuture<>();
          arrivals.get(v).add(f);
          mine.add(f);
        }
        CompletableFuture<ActorRef<Object>> receiver = new CompletableFuture<>();
        receivers.add(receiver);
        // the receiver where a rollout node has it, so it uses the same lane
        ActorSystem<Void> node = system("node-" + n, Behaviors.setup(ctx -> {
          ctx.spawn(Behaviors.setup(role -> {
            receiver.complete(role.spawn(WeightsReceiver.create(layout,
                got -> mine.get((int) got.version())
                    .complete(new Arrival(got.params(), System.nanoTime()))), "weights"));
            return Behaviors.empty();
          }), "rollout");
          return Behaviors.empty();
        }));
        systems.add(node);
        Cluster.get(node).manager().tell(Join.create(seed.selfMember().address()));
      }
      ClusterMembers.awaitUp(seed, nodes + 1, Duration.ofSeconds(BOUND_SECONDS));
      ActorRef<WeightsBroadcaster.Command> broadcaster = learner.systemActorOf(
          WeightsBroadcaster.create(chunkBytes, window), "broadcaster",
          Props.empty());
      awaitReceivers(learner, broadcaster, nodes);
      List<Double> timed = new ArrayList<>();
      // two stores in turn: the broadcaster may still hold the previous version's
      ParameterStore[] stores = {ParameterStore.zeros(layout, DataType.FLOAT),
          ParameterStore.zeros(layout, DataType.FLOAT)};
      for (int v = 0; v < versions; v++) {
        ParameterStore params = stores[v % 2];
        Nd4j.rand(params.flat(), v); // in place: no second array as large as the model
        String sha = params.sha256();
        long start = System.nanoTime();
        broadcaster.tell(new WeightsBroadcaster.Broadcast(v, params));
        long last = start;
        List<Arrival> got = new ArrayList<>();
        for (int n = 0; n < nodes; n++) {
          Arrival a = arrivals.get(v).get(n).get(BOUND_SECONDS, TimeUnit.SECONDS);
          last = Math.max(last, a.nanos());
          got.add(a);
        }
        for (int n = 0; n < nodes; n++) {
          Arrival a = got.get(n);
          // checked once every node has it, not to take a core from a node still receiving;
          // the receiver checked it already, this checks the bench
          if (!sha.equals(a.params().sha256())) {
            throw new IllegalStateException("a node assembled other weights than those sent");
          }
          // as a rollout node does once its workers moved on: the next version is written there
          receivers.get(n).get(BOUND_SECONDS, TimeUnit.SECONDS)
              .tell(new WeightsReceiver.Recycle(a.params()));
        }
        if (v >= WARMUP_VERSIONS) {
          timed.add((last - start) / 1e9);
        }
      }
      double median = timed.stream().sorted().toList().get(timed.size() / 2);
      return new Result(layout.totalSize() * Float.BYTES, nodes, median, List.copyOf(timed));
    } finally {
      for (ActorSystem<?> s : systems) {
        s.terminate();
      }
      for (ActorSystem<?> s : systems) {
        s.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
    }
  }

  private static ActorSystem<Void> system(String name, Behavior<Void> guardian) {
    return ActorSystem.create(guardian, "rlhf4j", ClusterNodeConfig.of("127.0.0.1", 0,
        List.of(), ConfigFactory.parseString("pekko.cluster.jmx.multi-mbeans-in-same-jvm = on\n"
            + "pekko.loglevel = WARNING").withFallback(ConfigFactory.load())));
  }

  private static void awaitReceivers(ActorSystem<?> system,
      ActorRef<WeightsBroadcaster.Command> broadcaster, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
    while (System.nanoTime() < deadline) {
      int seen = AskPattern.<WeightsBroadcaster.Command, Integer>ask(broadcaster,
          WeightsBroadcaster.CountReceivers::new, Duration.ofSeconds(10),
          system.scheduler()).toCompletableFuture().get(10, TimeUnit.SECONDS);
      if (seen == n) {
        return;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("the broadcaster did not see " + n + " receivers");
  }
}
