package org.rlhf4j.actors.ppo;

import java.time.Duration;
import org.apache.pekko.actor.typed.SupervisorStrategy;

/** The supervision of rollout workers and the scorer: restart, but give up on a failure loop. */
final class Restarts {
  /** More failures than this within {@link #WINDOW} stop the actor, and the run fails. */
  static final int LIMIT = 100;
  static final Duration WINDOW = Duration.ofMinutes(1);
  static final SupervisorStrategy STRATEGY = SupervisorStrategy.restart().withLimit(LIMIT, WINDOW);

  private Restarts() {}
}
