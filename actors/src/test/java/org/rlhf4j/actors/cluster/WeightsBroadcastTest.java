package org.rlhf4j.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.actors.weights.TinyWeights;
import org.rlhf4j.config.LoraConfig;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.RewardPooling;
import org.rlhf4j.model.kernels.VectorKernels;
import org.rlhf4j.protocol.pb.WeightsUpdate;

/**
 * Two actor systems in this JVM, on 127.0.0.1, form a cluster: policy versions sent by the
 * learner's node arrive at a rollout node's receiver through Artery, in 215 chunks of 512
 * bytes with 4 unacknowledged at a time, whole and checked; a receiver that registers later gets
 * the newest version at once.
 */
class WeightsBroadcastTest {
  private static final Duration BOUND = Duration.ofSeconds(60);

  private ActorTestKit learner;
  private ActorTestKit node;

  @AfterEach
  void stop() {
    for (ActorTestKit kit : new ActorTestKit[] {node, learner}) {
      if (kit != null) {
        kit.shutdownTestKit();
      }
    }
  }

  private static ActorTestKit system() {
    // two nodes in one JVM: each registers its own cluster MBean
    return ActorTestKit.create("rlhf4j", ClusterNodeConfig.of("127.0.0.1", 0, List.of(),
        ConfigFactory.parseString("pekko.cluster.jmx.multi-mbeans-in-same-jvm = on")
            .withFallback(ConfigFactory.load())));
  }

  private static ParameterStore params(long seed) {
    return TinyWeights.params(seed);
  }

  @Test
  void versionsReachARemoteReceiverWholeAndALateOneGetsTheNewest() throws Exception {
    learner = system();
    node = system();
    Cluster a = Cluster.get(learner.system());
    a.manager().tell(Join.create(a.selfMember().address()));
    Cluster.get(node.system()).manager().tell(Join.create(a.selfMember().address()));
    ClusterMembers.awaitUp(a, 2, BOUND);

    BlockingQueue<WeightsReceiver.Versioned> first = new LinkedBlockingQueue<>();
    node.spawn(WeightsReceiver.create(params(0).layout(), first::add), "receiver-1");
    ActorRef<WeightsBroadcaster.Command> broadcaster =
        learner.spawn(WeightsBroadcaster.create(512, 4), "broadcaster");
    awaitReceivers(broadcaster, 1);

    ParameterStore v1 = params(1);
    broadcaster.tell(new WeightsBroadcaster.Broadcast(1, v1));
    WeightsReceiver.Versioned got = first.poll(BOUND.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(got, "version 1 did not arrive");
    assertEquals(1, got.version());
    assertEquals(v1.sha256(), got.params().sha256());

    ParameterStore v2 = params(2);
    broadcaster.tell(new WeightsBroadcaster.Broadcast(2, v2));
    got = first.poll(BOUND.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(got, "version 2 did not arrive");
    assertEquals(v2.sha256(), got.params().sha256());

    // two versions at once: the second replaces what is left of the first, which never arrives
    // whole (a receiver jumps to the newest)
    ParameterStore v4 = params(4);
    broadcaster.tell(new WeightsBroadcaster.Broadcast(3, params(3)));
    broadcaster.tell(new WeightsBroadcaster.Broadcast(4, v4));
    got = first.poll(BOUND.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(got, "version 4 did not arrive");
    assertEquals(4, got.version());
    assertEquals(v4.sha256(), got.params().sha256());

    BlockingQueue<WeightsReceiver.Versioned> late = new LinkedBlockingQueue<>();
    node.spawn(WeightsReceiver.create(v1.layout(), late::add), "receiver-2");
    got = late.poll(BOUND.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(got, "a receiver that joined later got no version");
    assertEquals(4, got.version());
    assertEquals(v4.sha256(), got.params().sha256());
    assertTrue(first.isEmpty(), "the first receiver got a version twice");
  }

  @Test
  void withLoraEachReceiverGetsTheBodyOnceAndEveryVersionIsOnlyTheAdaptersAndHeads()
      throws Exception {
    learner = ActorTestKit.create("rlhf4j-lora");
    Gpt gpt = new Gpt(new ModelConfig(37, 24, 32, 2, 4, 1e-5), EnumSet.of(Head.VALUE),
        new VectorKernels(), RewardPooling.LAST, LoraConfig.defaults());
    ParameterStore full = gpt.initialParameters(1, DataType.FLOAT);
    ParameterStore body = gpt.bodyView(full);
    long bodyBytes = gpt.body().layout().totalSize() * Float.BYTES;
    long versionBytes = gpt.trainableLayout().totalSize() * Float.BYTES; // 2·8·(32 + 96) + 33 floats
    assertTrue(versionBytes * 10 < bodyBytes, versionBytes + " vs " + bodyBytes);
    // a probe that never acknowledges counts the chunks (the window holds them all), and a real
    // receiver puts them back together
    TestProbe<WeightsUpdate> wire = learner.createTestProbe();
    learner.system().receptionist().tell(Receptionist.register(WeightsReceiver.KEY, wire.ref()));
    BlockingQueue<WeightsReceiver.Versioned> got = new LinkedBlockingQueue<>();
    learner.spawn(WeightsReceiver.create(gpt.body().layout(), gpt.trainableLayout(), got::add),
        "receiver");
    ActorRef<WeightsBroadcaster.Command> broadcaster =
        learner.spawn(WeightsBroadcaster.create(1024, 10_000, body), "broadcaster");
    awaitReceivers(broadcaster, 2);
    assertEquals(bodyBytes, bytes(wire, true), "the body");

    for (long v = 1; v <= 2; v++) {
      ParameterStore trainable = gpt.trainable(full).copy();
      trainable.flat().addi(v);
      broadcaster.tell(new WeightsBroadcaster.Broadcast(v, trainable));
      assertEquals(versionBytes, bytes(wire, false), "version " + v);
      WeightsReceiver.Versioned version = got.poll(BOUND.toSeconds(), TimeUnit.SECONDS);
      assertNotNull(version, "version " + v + " did not arrive");
      assertEquals(trainable.sha256(), version.params().sha256());
      // the body comes once, with the first version; the receiver keeps no copy of it
      assertEquals(v == 1 ? body.sha256() : null,
          version.base() == null ? null : version.base().sha256());
    }
    wire.expectNoMessage(Duration.ofMillis(200));
  }

  /** The tensor bytes of the chunks on {@code wire} up to a version's last, all of one kind. */
  private static long bytes(TestProbe<WeightsUpdate> wire, boolean base) {
    long total = 0;
    for (WeightsUpdate chunk = null; chunk == null || chunk.getChunk() < chunk.getChunks() - 1; ) {
      chunk = wire.receiveMessage(BOUND);
      assertEquals(base, chunk.getBase(), "chunk " + chunk.getChunk());
      for (var t : chunk.getTensorsList()) {
        total += t.getData().size();
      }
    }
    return total;
  }

  private void awaitReceivers(ActorRef<WeightsBroadcaster.Command> broadcaster, int n) {
    TestProbe<Integer> probe = learner.createTestProbe();
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (System.nanoTime() < deadline) {
      broadcaster.tell(new WeightsBroadcaster.CountReceivers(probe.ref()));
      if (probe.receiveMessage(BOUND) == n) {
        return;
      }
      probe.expectNoMessage(Duration.ofMillis(100));
    }
    throw new AssertionError("the broadcaster did not see " + n + " receivers within " + BOUND);
  }
}
