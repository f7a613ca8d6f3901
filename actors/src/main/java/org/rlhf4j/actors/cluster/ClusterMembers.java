package org.rlhf4j.actors.cluster;

import java.time.Duration;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/** Waiting, with a bound, for a cluster to reach a number of members that are up. */
public final class ClusterMembers {
  private ClusterMembers() {}

  /**
   * Returns once {@code cluster} sees {@code members} members up.
   *
   * @throws IllegalStateException when they are not up within {@code bound}
   */
  public static void awaitUp(Cluster cluster, int members, Duration bound)
      throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    while (System.nanoTime() < deadline) {
      long up = 0;
      for (var m : cluster.state().getMembers()) {
        up += m.status() == MemberStatus.up() ? 1 : 0;
      }
      if (up == members) {
        return;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException(members + " cluster members were not up within " + bound);
  }
}
