package org.rlhf4j.actors.cluster;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.rlhf4j.actors.ppo.Coordinator;
import org.rlhf4j.actors.ppo.RewardScorer;
import org.rlhf4j.actors.ppo.RolloutWorker;
import org.rlhf4j.actors.ppo.Work;
import org.rlhf4j.protocol.pb.Prompt;
import org.rlhf4j.protocol.pb.PromptBatch;
import org.rlhf4j.protocol.pb.RolloutBatch;

/**
 * A worker on a rollout node as the coordinator sees it: takes the same commands as a local
 * {@link RolloutWorker}, sends each work item to the node as a {@link PromptBatch}, passes the
 * node's {@link RolloutBatch} on to the reward scorer, and tells the coordinator the worker is gone
 * when the node leaves the cluster or dies (its work is then re-issued under the same ids).
 */
final class RemoteWorkerProxy {
  private RemoteWorkerProxy() {}

  static Behavior<RolloutWorker.Command> create(String workerId, ActorRef<Object> node,
      ActorRef<Coordinator.Command> coordinator, ActorRef<RewardScorer.Command> scorer,
      ActorRef<NodeGateway.Publish> gateway) {
    return Behaviors.<Object>setup(context -> {
      context.watch(node);
      String self = ActorRefResolver.get(context.getSystem())
          .toSerializationFormat(context.getSelf());
      // false: the gateway's broadcast reads a snapshot after the proxy has passed it on
      coordinator.tell(new Coordinator.WorkerReady(workerId, context.getSelf().narrow(), false));
      State state = new State();
      return Behaviors.receive(Object.class)
          .onMessage(RolloutWorker.UseWeights.class, m -> {
            state.version = m.snapshot().version();
            gateway.tell(new NodeGateway.Publish(m.snapshot()));
            return Behaviors.same();
          })
          .onMessage(RolloutWorker.Generate.class, m -> {
            state.inProgress = m.work();
            node.tell(promptBatch(m.work(), state.version, workerId, self));
            return Behaviors.same();
          })
          .onMessage(RolloutBatch.class, b -> {
            Work work = state.inProgress;
            if (work == null || work.id() != b.getBatchId()) {
              return Behaviors.same(); // an answer to an item the coordinator re-issued
            }
            state.inProgress = null;
            if (!b.getError().isEmpty()) {
              coordinator.tell(new Coordinator.WorkLost(work.id(), 0,
                  "rollout worker " + workerId + " failed: " + b.getError()));
            } else {
              scorer.tell(new RewardScorer.Score(work.id(), b.getRolloutsList()));
              coordinator.tell(new Coordinator.WorkDone(workerId, work.id(),
                  b.getRolloutsCount(), b.getTokens(), b.getNanos(), b.getPolicyVersion()));
            }
            return Behaviors.same();
          })
          .onSignal(Terminated.class, t -> {
            coordinator.tell(new Coordinator.WorkerGone(workerId, "its rollout node "
                + node.path().address() + " left the cluster"));
            // not stopped: the coordinator watches the proxy, and the Terminated of a stopped
            // proxy could overtake the WorkerGone and end the run
            return Behaviors.ignore();
          })
          .build();
    }).narrow();
  }

  /** The proxy's view of its worker: the policy version it holds and the item it samples. */
  private static final class State {
    long version;
    Work inProgress;
  }

  /** {@code work} on the wire, to be sampled from {@code version} or newer. */
  static PromptBatch promptBatch(Work work, long version, String workerId, String replyTo) {
    PromptBatch.Builder b = PromptBatch.newBuilder().setBatchId(work.id())
        .setSamplesPerPrompt(work.copies()).setSeed(work.seed())
        .setPromptsPerWork(work.promptsPerWork()).setMinPolicyVersion(version)
        .setWorkerId(workerId).setReplyTo(replyTo);
    for (int j = 0; j < work.prompts().size(); j++) {
      Prompt.Builder p = Prompt.newBuilder().setPromptId(work.promptId(j));
      for (int t : work.prompts().get(j)) {
        p.addTokenIds(t);
      }
      b.addPrompts(p);
    }
    return b.build();
  }
}
