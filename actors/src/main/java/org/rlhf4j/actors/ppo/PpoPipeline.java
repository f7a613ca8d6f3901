package org.rlhf4j.actors.ppo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.MetricsLog;
import org.rlhf4j.learner.ProgressListener;
import org.rlhf4j.learner.RunDirectoryException;
import org.rlhf4j.learner.async.FreshLearner;
import org.rlhf4j.learner.async.LearnerRecorder;
import org.rlhf4j.learner.async.PpoLearner;
import org.rlhf4j.learner.async.RolloutScoring;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.io.AtomicFiles;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.protocol.MessageLogWriter;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;

/**
 * PPO through the actors, in a run directory: {@code config.conf}, {@code run.json} (what replay
 * needs beyond the config), the initial policy and critic under {@code initial/}, the learner's
 * message log {@code messages.r4jlog}, {@code metrics.jsonl} per round, the final policy in
 * {@code model/} and {@code summary.json} (final weights' SHA-256, ledger, policy-lag histogram,
 * throughput). {@link PipelineReplay} rebuilds the final weights from the directory alone.
 */
public final class PpoPipeline {
  /** The run's message log, under the run directory. */
  public static final String LOG = "messages.r4jlog";
  static final String DISPATCHER = "rlhf4j-compute-dispatcher";
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT);

  /** Tensor threads of each role (DESIGN.md: one per model copy is steadiest on 2 cores). */
  public record Threads(int worker, int scorer, int learner) {
    /** Checks that each is at least 1. */
    public Threads {
      if (worker < 1 || scorer < 1 || learner < 1) {
        throw new IllegalArgumentException("thread counts must be >= 1");
      }
    }
  }

  /**
   * A run: the models, prompts and where to write. {@code criticModel}/{@code initialCritic} are
   * null unless the critic is separate; {@code kernels} names the kernels of the models (replay
   * must use the same).
   */
  public record Spec(RlhfConfig config, Gpt policyModel, ParameterStore initialPolicy,
      Gpt rewardModel, ParameterStore reward, Gpt criticModel, ParameterStore initialCritic,
      Map<String, String> tokenizer, int eosId, int padId, List<int[]> prompts, Path out,
      String kernels, Threads threads, FaultInjection faults) {}

  /** What a finished run reports, beside {@link PipelineResult}; {@code policy} is final. */
  public record Outcome(PipelineResult result, double seconds, Path model, Path summary,
      PolicySnapshot policy) {}

  private PpoPipeline() {}

  /** Runs PPO to {@code rlhf4j.ppo.iterations} policy versions. */
  public static Outcome run(Spec spec, ProgressListener progress) throws IOException {
    RlhfConfig c = spec.config();
    Path out = spec.out();
    int credits = c.async().credits(c.ppo().batchSize());
    if (credits < c.ppo().batchSize()) {
      throw new IllegalArgumentException("rlhf4j.async.max-in-flight (" + credits
          + ") must be at least rlhf4j.ppo.batch-size (" + c.ppo().batchSize() + ")");
    }
    boolean grouped = !c.ppo().advantage().equals("gae");
    int copies = grouped ? c.ppo().groupSize() : 1;
    // a work item never exceeds one PPO batch, and the credits hold one item per worker, so
    // every worker has work (in the synchronous mode too, which has one batch of credits)
    int promptsPerWork = Math.min(c.async().promptsPerWork(), Math.max(1, Math.min(
        c.ppo().batchSize() / copies, credits / (copies * c.async().workers()))));
    Coordinator.Settings settings = new Coordinator.Settings(spec.prompts(), promptsPerWork,
        copies, credits, c.run().seed());
    if (Files.exists(out.resolve(LOG))) {
      throw new RunDirectoryException(out + " already holds a PPO run (" + out.resolve(LOG)
          + "); choose another --out");
    }
    Files.createDirectories(out);
    AtomicFiles.writeString(out.resolve("config.conf"), ConfigLoader.render(c));
    Checkpoint.save(out.resolve(PipelineReplay.INITIAL_POLICY), new Checkpoint.Contents(
        spec.policyModel().config(), spec.policyModel().heads(), spec.initialPolicy(),
        Optional.empty(), 0, spec.tokenizer()));
    if (spec.initialCritic() != null) {
      Checkpoint.save(out.resolve(PipelineReplay.INITIAL_CRITIC), new Checkpoint.Contents(
          spec.criticModel().config(), spec.criticModel().heads(), spec.initialCritic(),
          Optional.empty(), 0, spec.tokenizer()));
    }
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("kernels", spec.kernels());
    run.put("pad_id", spec.padId());
    run.put("learner_threads", spec.threads().learner());
    AtomicFiles.writeString(out.resolve(PipelineReplay.RUN_JSON), JSON.writeValueAsString(run));

    PpoLearner learner = FreshLearner.create(c, spec.policyModel(), spec.initialPolicy(),
        spec.criticModel(), spec.initialCritic(), spec.padId());
    PolicySnapshot initial = learner.snapshot();
    ParameterStore reference = spec.initialPolicy().copy(DataType.FLOAT);
    RolloutScoring scoring = new RolloutScoring(spec.rewardModel(), spec.reward(),
        spec.policyModel(), reference, c.ppo().temperature(), spec.padId());
    RolloutWorker.Settings workerSettings = new RolloutWorker.Settings(new SamplingSettings(
        c.ppo().temperature(), 0, 1.0, false, c.ppo().responseLength(),
        new int[] {spec.eosId()}), spec.padId(), spec.threads().worker());

    long start = System.nanoTime();
    CompletableFuture<PipelineResult> done = new CompletableFuture<>();
    try (MessageLogWriter log = MessageLogWriter.create(out.resolve(LOG), c.log().flush());
        MetricsLog metrics = MetricsLog.open(out.resolve("metrics.jsonl"), 0)) {
      LearnerRecorder recorder = new LearnerRecorder(learner, log, Clock.systemUTC());
      Learner.Settings learnerSettings = new Learner.Settings(c.ppo().iterations(),
          c.async().weightSyncEvery(), spec.threads().learner());
      Coordinator.Roles roles = new Coordinator.Roles() {
        @Override
        public ActorRef<Learner.Command> learner(ActorContext<Coordinator.Command> ctx) {
          return ctx.spawn(Learner.create(ctx.getSelf(), recorder, learnerSettings), "learner",
              DispatcherSelector.fromConfig(DISPATCHER));
        }

        @Override
        public ActorRef<RewardScorer.Command> scorer(ActorContext<Coordinator.Command> ctx,
            ActorRef<Learner.Command> l) {
          return ctx.spawn(RewardScorer.create(ctx.getSelf(), l, scoring,
              spec.threads().scorer(), spec.faults()), "scorer",
              DispatcherSelector.fromConfig(DISPATCHER));
        }

        @Override
        public void workers(ActorContext<Coordinator.Command> ctx,
            ActorRef<RewardScorer.Command> scorer) {
          for (int i = 0; i < c.async().workers(); i++) {
            String id = "worker-" + i;
            ctx.spawn(RolloutWorker.create(id, ctx.getSelf(), scorer, workerSettings,
                spec.faults()), id, DispatcherSelector.fromConfig(DISPATCHER));
          }
        }
      };
      long total = c.ppo().iterations();
      Coordinator.RoundObserver observer = (version, m) -> {
        metrics.write(version - 1, m);
        progress.onStep(version, total, "objective/scores",
            m.getOrDefault("objective/scores", Double.NaN));
      };
      ActorSystem<Coordinator.Command> system = ActorSystem.create(
          Coordinator.create(settings, initial, roles, observer, done), "rlhf4j-ppo",
          ConfigFactory.load(PpoPipeline.class.getClassLoader()));
      try {
        system.getWhenTerminated().toCompletableFuture().get();
      } catch (InterruptedException e) {
        system.terminate();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      }
    }
    PipelineResult result;
    try {
      result = done.getNow(null);
      if (result == null) {
        throw new IllegalStateException("the actor system stopped without a result");
      }
    } catch (java.util.concurrent.CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(cause);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Path model = out.resolve("model");
    Checkpoint.save(model, new Checkpoint.Contents(spec.policyModel().config(),
        spec.policyModel().heads(), learner.policyParams(), Optional.empty(), result.version(),
        spec.tokenizer()));
    Path summary = out.resolve("summary.json");
    AtomicFiles.writeString(summary, JSON.writeValueAsString(summary(c, result, seconds)));
    return new Outcome(result, seconds, model, summary, learner.snapshot());
  }

  private static Map<String, Object> summary(RlhfConfig c, PipelineResult r, double seconds) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("weights_sha256", r.weightsSha256());
    s.put("version", r.version());
    s.put("seconds", seconds);
    s.put("mode", c.async().maxLag() == 0 && c.async().credits(c.ppo().batchSize())
        == c.ppo().batchSize() ? "sync" : "async");
    s.put("workers", c.async().workers());
    s.put("max_lag", c.async().maxLag());
    s.put("credits", c.async().credits(c.ppo().batchSize()));
    s.put("ledger", r.ledgerJson());
    Map<String, Long> lags = new LinkedHashMap<>();
    r.lags().forEach((lag, n) -> lags.put(Long.toString(lag), n));
    s.put("policy_lag_histogram", lags);
    s.put("worker_tokens_per_s", r.tokensPerSecond());
    return s;
  }
}
