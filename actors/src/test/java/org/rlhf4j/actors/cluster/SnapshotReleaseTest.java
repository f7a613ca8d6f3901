package org.rlhf4j.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;

/**
 * A rollout node reuses a version's memory only once no worker reads it: each worker says which
 * version it stopped reading, and the node counts them.
 */
class SnapshotReleaseTest {
  private static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("SnapshotReleaseTest");
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static PolicySnapshot version(long v) {
    return new PolicySnapshot(null, null, v); // a worker that only switches never samples
  }

  @Test
  void aWorkerReleasesTheVersionItHeldWhenANewerOneArrivesAndAnOlderOneAtOnce() {
    TestProbe<NodeWorker.Released> node = kit.createTestProbe();
    ActorRef<NodeWorker.Command> worker = kit.spawn(NodeWorker.create("w", new SamplingSettings(
        1.0, 0, 1.0, false, 4, new int[0]), 0, 1, node.getRef()));
    PolicySnapshot v1 = version(1);
    PolicySnapshot v2 = version(2);
    worker.tell(new NodeWorker.Use(v1));
    node.expectNoMessage(Duration.ofMillis(200));
    worker.tell(new NodeWorker.Use(v2));
    assertSame(v1, node.receiveMessage().snapshot());
    worker.tell(new NodeWorker.Use(v1)); // late: never held, so released at once
    assertSame(v1, node.receiveMessage().snapshot());
    node.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void aVersionIsFreeWhenItsLastReaderReleasesItAndNotBefore() {
    SnapshotReaders readers = new SnapshotReaders();
    PolicySnapshot v1 = version(1);
    PolicySnapshot v2 = version(2);
    readers.lent(v1, 2);
    readers.lent(v2, 2);
    assertFalse(readers.released(v1));
    assertFalse(readers.released(v2));
    assertTrue(readers.released(v1), "the second of two readers");
    assertEquals(1, readers.held());
    assertFalse(readers.released(v1), "freed once");
    assertFalse(readers.released(version(1)), "an equal snapshot that was never lent");
    assertTrue(readers.released(v2));
    assertEquals(0, readers.held());
    assertThrows(IllegalArgumentException.class, () -> readers.lent(v1, 0));
  }
}
