package org.rlhf4j.actors.cluster;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.rlhf4j.actors.ppo.Work;
import org.rlhf4j.actors.ppo.WorkSampler;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.protocol.pb.Prompt;
import org.rlhf4j.protocol.pb.PromptBatch;
import org.rlhf4j.protocol.pb.RolloutBatch;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;

/**
 * One worker of a rollout node: samples each {@link PromptBatch} from the newest policy version
 * the node holds, once that is at least the version the batch asks for (a batch that arrives
 * first waits), and answers the proxy named in the batch with a {@link RolloutBatch}. It tells the
 * node each version it stops reading.
 */
final class NodeWorker {
  private NodeWorker() {}

  sealed interface Command {}

  /** The node's newest whole, checked policy version. */
  record Use(PolicySnapshot snapshot) implements Command {}

  /** A batch to sample. */
  record Sample(PromptBatch batch) implements Command {}

  /** Told to the node: this worker no longer reads {@code snapshot} (it holds a newer one). */
  record Released(PolicySnapshot snapshot) {}

  static Behavior<Command> create(String workerId, SamplingSettings sampling, int padId,
      int threads, ActorRef<Released> node) {
    return Behaviors.setup(context -> {
      WorkSampler sampler = new WorkSampler(workerId, padId);
      ActorRefResolver refs = ActorRefResolver.get(context.getSystem());
      Deque<PromptBatch> waiting = new ArrayDeque<>();
      PolicySnapshot[] held = {null};
      Runnable drain = () -> {
        while (!waiting.isEmpty() && held[0] != null
            && held[0].version() >= waiting.peekFirst().getMinPolicyVersion()) {
          PromptBatch b = waiting.pollFirst();
          ActorRef<Object> replyTo = refs.resolveActorRef(b.getReplyTo());
          replyTo.tell(sample(sampler, held[0], b, sampling, threads, workerId));
        }
      };
      return Behaviors.receive(Command.class)
          .onMessage(Use.class, u -> {
            if (held[0] == null || u.snapshot().version() > held[0].version()) {
              if (held[0] != null) {
                node.tell(new Released(held[0])); // sampling is over: it ran in a handler
              }
              held[0] = u.snapshot();
            } else {
              node.tell(new Released(u.snapshot()));
            }
            drain.run();
            return Behaviors.same();
          })
          .onMessage(Sample.class, s -> {
            waiting.addLast(s.batch());
            drain.run();
            return Behaviors.same();
          })
          .build();
    });
  }

  private static RolloutBatch sample(WorkSampler sampler, PolicySnapshot snapshot, PromptBatch b,
      SamplingSettings sampling, int threads, String workerId) {
    RolloutBatch.Builder out = RolloutBatch.newBuilder().setBatchId(b.getBatchId())
        .setWorkerId(workerId).setPolicyVersion(snapshot.version());
    try {
      TensorThreads.bindCurrentThread(threads);
      List<int[]> prompts = new ArrayList<>(b.getPromptsCount());
      for (Prompt p : b.getPromptsList()) {
        prompts.add(p.getTokenIdsList().stream().mapToInt(Integer::intValue).toArray());
      }
      Work work = new Work(b.getBatchId(), b.getPromptsPerWork(), prompts,
          b.getSamplesPerPrompt(), b.getSeed());
      WorkSampler.Sampled s = sampler.sample(snapshot, work, sampling);
      return out.addAllRollouts(s.rollouts()).setTokens(s.tokens()).setNanos(s.nanos()).build();
    } catch (RuntimeException e) {
      // the proxy reports it and the coordinator re-issues the item, up to work-attempts
      return out.setError(String.valueOf(e.getMessage())).build();
    }
  }
}
