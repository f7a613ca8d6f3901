package org.rlhf4j.actors.ppo;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The reward scorer as the workers see it when scorer nodes may join: hands each batch to the
 * ready scorer (local or remote) with the fewest batches in hand, at most {@link #PER_SCORER}
 * each, and keeps the rest queued until one is freed or joins. A batch never waits on a scorer
 * that left: the pool forgets it on {@link Gone}, and its proxy reports what it held.
 */
public final class ScorerPool {
  /** Batches a scorer holds at once: one being scored, one on its way, so it never idles. */
  static final int PER_SCORER = 2;

  /** A scorer that takes batches from now on. */
  public record Ready(ActorRef<RewardScorer.Command> scorer) {}

  /** {@code scorer} finished a batch (scored or failed). */
  public record Freed(ActorRef<RewardScorer.Command> scorer) {}

  /** {@code scorer} takes no more batches. */
  public record Gone(ActorRef<RewardScorer.Command> scorer) {}

  private ScorerPool() {}

  /** An empty pool; scorers announce themselves with {@link Ready}. */
  public static Behavior<Object> create() {
    return Behaviors.setup(context -> {
      Deque<RewardScorer.Score> queued = new ArrayDeque<>();
      // insertion order breaks ties, so the first scorer (the local one) is preferred
      Map<ActorRef<RewardScorer.Command>, Integer> inHand = new LinkedHashMap<>();
      return Behaviors.receive(Object.class)
          .onMessage(RewardScorer.Score.class, s -> {
            queued.addLast(s);
            dispatch(queued, inHand);
            return Behaviors.same();
          })
          .onMessage(Ready.class, r -> {
            inHand.putIfAbsent(r.scorer(), 0);
            dispatch(queued, inHand);
            return Behaviors.same();
          })
          .onMessage(Freed.class, f -> {
            inHand.computeIfPresent(f.scorer(), (k, n) -> Math.max(0, n - 1));
            dispatch(queued, inHand);
            return Behaviors.same();
          })
          .onMessage(Gone.class, g -> {
            inHand.remove(g.scorer());
            return Behaviors.same();
          })
          .build();
    });
  }

  private static void dispatch(Deque<RewardScorer.Score> queued,
      Map<ActorRef<RewardScorer.Command>, Integer> inHand) {
    while (!queued.isEmpty()) {
      ActorRef<RewardScorer.Command> least = null;
      int fewest = PER_SCORER;
      for (Map.Entry<ActorRef<RewardScorer.Command>, Integer> e : inHand.entrySet()) {
        if (e.getValue() < fewest) {
          least = e.getKey();
          fewest = e.getValue();
        }
      }
      if (least == null) {
        return;
      }
      least.tell(queued.pollFirst());
      inHand.put(least, fewest + 1);
    }
  }
}
