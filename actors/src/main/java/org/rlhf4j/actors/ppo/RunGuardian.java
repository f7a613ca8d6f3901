package org.rlhf4j.actors.ppo;

import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A pipeline's guardian: runs the coordinator as its child and, once the coordinator has stopped
 * (the run ended or failed), ends the actor system through {@link CoordinatedShutdown}.
 *
 * <p>Why: when the guardian itself stops, the system's cluster daemon stops with it while the
 * shutdown's cluster phases still run, and Pekko warns that their recipient is gone. Ended this
 * way, a learner with nodes leaves the cluster first, so its nodes see it leave.
 */
final class RunGuardian {
  /** Why the system shuts down: its run is over. */
  enum RunEnded implements CoordinatedShutdown.Reason {
    INSTANCE
  }

  private RunGuardian() {}

  static Behavior<Void> create(Behavior<Coordinator.Command> coordinator) {
    return Behaviors.setup(context -> {
      context.watch(context.spawn(coordinator, "coordinator"));
      return Behaviors.receive(Void.class)
          .onSignal(Terminated.class, t -> {
            CoordinatedShutdown.get(context.getSystem()).runAll(RunEnded.INSTANCE);
            return Behaviors.same();
          })
          .build();
    });
  }
}
