package org.rlhf4j.actors.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.event.EventStream;
import org.apache.pekko.event.Logging;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.rlhf4j.protocol.pb.Rollout;

/**
 * Messages between actors go through the bound serializer when {@code pekko.actor.serialize-messages}
 * is on, as they would between nodes. Under that setting a message that fails to serialize is not
 * thrown to the sender: it is dropped and an error is published on the event stream.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SerializeMessagesTest {
  private static final int CAP = 16 * 1024;

  private ActorTestKit testKit;

  @BeforeAll
  void startSystem() {
    testKit = ActorTestKit.create("SerializeMessagesTest", ConfigFactory.parseString(
        "pekko.actor.serialize-messages = on\n"
            + ProtobufSerializer.MAX_MESSAGE_BYTES_KEY + " = " + CAP));
  }

  @AfterAll
  void stopSystem() {
    testKit.shutdownTestKit();
  }

  /** Forwards every rollout to {@code target}: the trivial actor a message must cross. */
  private static Behavior<Rollout> echoTo(ActorRef<Rollout> target) {
    return Behaviors.receiveMessage(rollout -> {
      target.tell(rollout);
      return Behaviors.same();
    });
  }

  @Test
  void rolloutPassesThroughAnActorAsASerializedCopy() {
    TestProbe<Rollout> probe = testKit.createTestProbe();
    ActorRef<Rollout> echo = testKit.spawn(echoTo(probe.getRef()));
    Rollout rollout = SampleMessages.rollout(64);

    echo.tell(rollout);

    Rollout received = probe.expectMessage(rollout);
    assertNotSame(rollout, received); // a copy: it went through toBinary and fromBinary
  }

  @Test
  void oversizedRolloutIsDroppedAndTheErrorNamesSizeAndCap() {
    TestProbe<Rollout> probe = testKit.createTestProbe();
    TestProbe<Logging.Error> errors = testKit.createTestProbe();
    EventStream eventStream = Adapter.toClassic(testKit.system()).eventStream();
    eventStream.subscribe(Adapter.toClassic(errors.getRef()), Logging.Error.class);
    try {
      ActorRef<Rollout> echo = testKit.spawn(echoTo(probe.getRef()));
      Rollout oversized = SampleMessages.rollout(5000);
      assertTrue(oversized.getSerializedSize() > CAP);

      echo.tell(oversized);

      Throwable root = errors.expectMessageClass(Logging.Error.class).cause();
      while (root.getCause() != null) {
        root = root.getCause();
      }
      assertEquals("Rollout of " + oversized.getSerializedSize() + " bytes exceeds the cap of " + CAP + " bytes ("
          + ProtobufSerializer.MAX_MESSAGE_BYTES_KEY + ")", root.getMessage());
      probe.expectNoMessage(Duration.ofMillis(200));
    } finally {
      eventStream.unsubscribe(Adapter.toClassic(errors.getRef()));
    }
  }
}
