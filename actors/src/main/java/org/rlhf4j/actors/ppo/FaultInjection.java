package org.rlhf4j.actors.ppo;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The crash-injection switch ({@code rlhf4j.async.crash-every}): every {@code every}-th batch a
 * rollout worker generates, and every {@code every}-th batch the scorer scores, ends in a crash
 * after the work is done and before its result is sent. The counts live outside the actors, so
 * they survive the restarts they cause.
 */
public final class FaultInjection {
  private final int every;
  private final AtomicLong workerBatches = new AtomicLong();
  private final AtomicLong scorerBatches = new AtomicLong();
  private final AtomicLong crashes = new AtomicLong();

  /** @param every 0 for never */
  public FaultInjection(int every) {
    if (every < 0) {
      throw new IllegalArgumentException("crash-every must be >= 0, got " + every);
    }
    this.every = every;
  }

  /** No crashes. */
  public static FaultInjection none() {
    return new FaultInjection(0);
  }

  /** Crashes on this worker batch if it is due. */
  void afterWorkerBatch(String worker) {
    maybeCrash(workerBatches, "rollout worker " + worker);
  }

  /** Crashes on this scorer batch if it is due. */
  void afterScorerBatch() {
    maybeCrash(scorerBatches, "reward scorer");
  }

  /** Crashes injected so far. */
  public long crashes() {
    return crashes.get();
  }

  private void maybeCrash(AtomicLong count, String who) {
    if (every > 0 && count.incrementAndGet() % every == 0) {
      crashes.incrementAndGet();
      throw new InjectedCrash(who + ": crash injected by rlhf4j.async.crash-every = " + every);
    }
  }

  /** The failure an injected crash throws. */
  public static final class InjectedCrash extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InjectedCrash(String message) {
      super(message, null, false, false);
    }
  }
}
