package org.rlhf4j.actors.ppo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.rlhf4j.actors.cluster.ClusterNodeConfig;
import org.rlhf4j.actors.cluster.ModelShapes;
import org.rlhf4j.actors.cluster.NodeGateway;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.PpoConfig;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.MetricsLog;
import org.rlhf4j.learner.ProgressListener;
import org.rlhf4j.learner.RunDirectory;
import org.rlhf4j.learner.RunDirectoryException;
import org.rlhf4j.learner.StepBatches;
import org.rlhf4j.learner.async.LearnerCheckpoints;
import org.rlhf4j.learner.async.Replay;
import org.rlhf4j.learner.async.FreshLearner;
import org.rlhf4j.learner.async.LearnerRecorder;
import org.rlhf4j.learner.async.PpoLearner;
import org.rlhf4j.learner.async.ReferencePolicy;
import org.rlhf4j.learner.async.RolloutScoring;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.model.io.AtomicFiles;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.protocol.MessageLogFormat;
import org.rlhf4j.protocol.MessageLogWriter;
import org.rlhf4j.protocol.pb.RolloutSetup;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;

/**
 * PPO through the actors, in a run directory: {@code config.conf}, {@code run.json} (what replay
 * needs beyond the config), the initial policy and critic under {@code initial/}, the learner's
 * message log {@code messages.r4jlog}, {@code metrics.jsonl} per round, the final policy in
 * {@code model/} and {@code summary.json} (final weights' SHA-256, ledger, policy-lag histogram,
 * throughput, the reference's weight bytes apart from the policy's). With LoRA the reference is
 * the policy's own body, workers sample merged weights and nodes receive adapters only.
 * {@link PipelineReplay} rebuilds the final weights from the directory alone.
 */
public final class PpoPipeline {
  /** The run's message log, under the run directory. */
  public static final String LOG = "messages.r4jlog";
  /** The dispatcher of every actor that computes, here and on rollout nodes (reference.conf). */
  public static final String DISPATCHER = "rlhf4j-compute-dispatcher";
  /** The actor system's name: a rollout node's must be the same to join the learner's cluster. */
  public static final String SYSTEM = "rlhf4j-ppo";
  // on Artery's large-message lane (frames of 2 MiB); the broadcast bench's choice for G
  // (BENCHMARKS.md, session 8): 1 MiB, 16 in flight per node
  private static final int WEIGHT_CHUNK_BYTES = 1 << 20;
  private static final int WEIGHT_WINDOW = 16;
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
   * must use the same); with {@code resume} a stopped run in {@code out} continues.
   */
  public record Spec(RlhfConfig config, Gpt policyModel, ParameterStore initialPolicy,
      Gpt rewardModel, ParameterStore reward, Gpt criticModel, ParameterStore initialCritic,
      Map<String, String> tokenizer, int eosId, int padId, List<int[]> prompts, Path out,
      String kernels, Threads threads, FaultInjection faults, boolean resume) {

    /** A fresh run. */
    public Spec(RlhfConfig config, Gpt policyModel, ParameterStore initialPolicy,
        Gpt rewardModel, ParameterStore reward, Gpt criticModel, ParameterStore initialCritic,
        Map<String, String> tokenizer, int eosId, int padId, List<int[]> prompts, Path out,
        String kernels, Threads threads, FaultInjection faults) {
      this(config, policyModel, initialPolicy, rewardModel, reward, criticModel, initialCritic,
          tokenizer, eosId, padId, prompts, out, kernels, threads, faults, false);
    }

    /** This run, resumed (or started, if {@code out} holds none) when {@code resume}. */
    public Spec resuming(boolean resume) {
      return new Spec(config, policyModel, initialPolicy, rewardModel, reward, criticModel,
          initialCritic, tokenizer, eosId, padId, prompts, out, kernels, threads, faults,
          resume);
    }

    /** How rollouts sample: the PPO temperature, up to the response length, ending at its stop. */
    public SamplingSettings sampling() {
      PpoConfig ppo = config.ppo();
      int[] stops = ppo.stopToken().equals("eos") ? new int[] {eosId} : new int[0];
      return new SamplingSettings(ppo.temperature(), 0, 1.0, false, ppo.responseLength(), stops);
    }
  }

  /**
   * What a finished run reports, beside {@link PipelineResult}; {@code policy} is final;
   * {@code cpuSeconds} is the process's CPU time over the same span as {@code seconds} (NaN
   * where the JVM cannot tell).
   */
  public record Outcome(PipelineResult result, double seconds, Path model, Path summary,
      PolicySnapshot policy, double cpuSeconds) {}

  private PpoPipeline() {}

  /**
   * Where the learner's actor system listens for rollout nodes ({@code rlhf4j ppo --listen}):
   * Artery on {@code host:port} (0 picks a free port), a cluster of which it is the first member.
   */
  public record Listen(String host, int port) {}

  /** {@link #run(Spec, ProgressListener, Consumer)} with notices on standard error. */
  public static Outcome run(Spec spec, ProgressListener progress) throws IOException {
    return run(spec, progress, System.err::println);
  }

  /**
   * Runs PPO to {@code rlhf4j.ppo.iterations} policy versions, or resumes a stopped run from its
   * newest learner checkpoint and the message log after it; {@code notices} hears what a user
   * should know (where it resumed, what it cut).
   *
   * @throws PipelineFailedException when an actor gives up, a work item keeps failing or nothing
   *     happens for {@code rlhf4j.async.stall-timeout-seconds}
   */
  public static Outcome run(Spec spec, ProgressListener progress, Consumer<String> notices)
      throws IOException {
    return run(spec, progress, notices, null);
  }

  /**
   * {@link #run(Spec, ProgressListener, Consumer)}, listening for rollout nodes when
   * {@code listen} is not null: their workers take work beside the local ones.
   */
  public static Outcome run(Spec spec, ProgressListener progress, Consumer<String> notices,
      Listen listen) throws IOException {
    RlhfConfig c = spec.config();
    if (c.async().workers() == 0 && listen == null) {
      throw new IllegalArgumentException("rlhf4j.async.workers = 0 needs rollout nodes: run "
          + "with --listen HOST:PORT and start `rlhf4j node` on other machines");
    }
    if (!c.async().localScorer() && listen == null) {
      throw new IllegalArgumentException("rlhf4j.async.local-scorer = false needs scorer nodes: "
          + "run with --listen HOST:PORT and start `rlhf4j node --role scorer` on other "
          + "machines");
    }
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
        c.ppo().batchSize() / copies, credits / (copies * Math.max(1, c.async().workers())))));
    // held for the whole run: a second process, or another kind of run, is refused
    try (RunDirectory claimed = RunDirectory.claim(out, RunDirectory.PPO, spec.resume())) {
      return runClaimed(spec, progress, notices, credits, copies, promptsPerWork, listen);
    } catch (PipelineStalledException e) {
      String missing = listen == null ? "" : (c.async().workers() == 0
          ? "; this learner has no rollout workers of its own: did a rollout node join?" : "")
          + (c.async().localScorer() ? ""
              : "; this learner has no scorer of its own: did a scorer node join?");
      if (missing.isEmpty()) {
        throw e;
      }
      throw new PipelineStalledException(e.getMessage() + missing);
    }
  }

  private static Outcome runClaimed(Spec spec, ProgressListener progress,
      Consumer<String> notices, int credits, int copies, int promptsPerWork, Listen listen)
      throws IOException {
    RlhfConfig c = spec.config();
    Path out = spec.out();
    boolean resuming = spec.resume() && Files.exists(out.resolve(LOG));
    if (resuming) {
      RunFiles.checkResumable(spec, out);
    } else {
      RunFiles.writeStart(spec, out);
    }

    PpoLearner learner = FreshLearner.create(c, spec.policyModel(), spec.initialPolicy(),
        spec.criticModel(), spec.initialCritic(), spec.padId());
    LearnerCheckpoints checkpoints = new LearnerCheckpoints(out, 2);
    Coordinator.Start start = Coordinator.Start.FRESH;
    MessageLogWriter log;
    if (resuming) {
      Optional<LearnerCheckpoints.Restored> restored = checkpoints.restoreNewest(learner,
          Files.size(out.resolve(LOG)), notices);
      long records = restored.map(LearnerCheckpoints.Restored::logRecords).orElse(0L);
      // the products' sums, and so the weights, depend on the thread count: the learner's
      TensorThreads.bindCurrentThread(spec.threads().learner());
      Replay.Outcome tail = Replay.continueFrom(out.resolve(LOG), learner, records,
          restored.map(LearnerCheckpoints.Restored::logBytes)
              .orElse((long) MessageLogFormat.HEADER_BYTES), c.log().maxRecordBytes());
      if (tail.complete()) {
        throw new RunDirectoryException(out + ": the learner of this run finished (its message "
            + "log ends with the run's end) but its model was not written; `rlhf4j replay "
            + out + "` rebuilds the final weights");
      }
      tail.cut().ifPresent(cut -> notices.accept("cut the end of " + out.resolve(LOG)
          + " (left by the stop): " + cut));
      log = MessageLogWriter.continueAt(out.resolve(LOG), tail.bytes(), tail.records(),
          c.log().flush());
      start = ResumePoint.of(learner, new StepBatches<>(spec.prompts(), promptsPerWork,
          c.run().seed()), promptsPerWork, copies);
      notices.accept("resuming from policy version " + learner.version() + " of "
          + c.ppo().iterations() + " (" + restored.map(r -> "checkpoint " + r.dir() + ", then ")
              .orElse("the start, then ") + (tail.records() - records)
          + " records of the message log)");
    } else {
      log = MessageLogWriter.create(out.resolve(LOG), c.log().flush());
    }
    Coordinator.Settings settings = new Coordinator.Settings(spec.prompts(), promptsPerWork,
        copies, credits, c.run().seed(), new Coordinator.Bounds(c.async().workAttempts(),
            Duration.ofSeconds(c.async().stallTimeoutSeconds())), start);
    PolicySnapshot initial = learner.snapshot();
    ReferencePolicy reference = ReferencePolicy.of(spec.policyModel(), spec.initialPolicy(),
        learner);
    RolloutScoring scoring = new RolloutScoring(spec.rewardModel(), spec.reward(),
        reference.model(), reference.params(), c.ppo().temperature(), spec.padId());
    RolloutWorker.Settings workerSettings = new RolloutWorker.Settings(spec.sampling(),
        spec.padId(), spec.threads().worker(), c.async().rolloutNiceness());

    long startNanos = System.nanoTime();
    double startCpu = ProcessCpu.seconds();
    long startVersion = learner.version();
    CompletableFuture<PipelineResult> done = new CompletableFuture<>();
    try (MessageLogWriter logWriter = log;
        MetricsLog metrics = MetricsLog.open(out.resolve("metrics.jsonl"), learner.version())) {
      LearnerRecorder.VersionListener checkpointing = (l, w) -> {
        if (l.version() % c.ppo().checkpointEvery() == 0
            || l.version() >= c.ppo().iterations()) {
          w.sync(); // a checkpoint must never be ahead of the log it points into
          checkpoints.save(l, spec.policyModel(), spec.criticModel(), spec.tokenizer(),
              w.records(), w.size());
        }
      };
      LearnerRecorder recorder = new LearnerRecorder(learner, logWriter, Clock.systemUTC(),
          checkpointing);
      if (resuming) {
        recorder.note(LearnerRecorder.RUN_RESUMED, Map.of());
      } else {
        recorder.note(LearnerRecorder.RUN_START, RunFiles.startChecksums(out));
      }
      Learner.Settings learnerSettings = new Learner.Settings(c.ppo().iterations(),
          c.async().weightSyncEvery(), spec.threads().learner());
      // LoRA: rollout nodes get the body once, which nothing writes, and versions as adapters
      ParameterStore nodeBase = spec.policyModel().lora().isEmpty() ? null
          : spec.policyModel().bodyView(learner.policyParams());
      Coordinator.Roles roles = roles(spec, recorder, learnerSettings, scoring, reference,
          nodeBase, workerSettings, listen == null ? null : setup(spec), notices);
      long total = c.ppo().iterations();
      Coordinator.RoundObserver observer = (version, m) -> {
        metrics.write(version - 1, m);
        progress.onStep(version, total, "objective/scores",
            m.getOrDefault("objective/scores", Double.NaN));
      };
      Config base = ConfigFactory.load(PpoPipeline.class.getClassLoader());
      ActorSystem<Void> system = ActorSystem.create(RunGuardian.create(
          Coordinator.create(settings, initial, roles, observer, done)), SYSTEM,
          listen == null ? base : ClusterNodeConfig.of(listen.host(), listen.port(), List.of(),
              c.clusterTls(), System::getenv, base));
      if (listen != null) {
        // the learner is the cluster's first member; nodes join it as their seed
        Cluster cluster = Cluster.get(system);
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
        String at = cluster.selfMember().address().toString();
        String hostPort = at.substring(at.indexOf('@') + 1);
        notices.accept("listening for nodes at " + at
            + (c.async().workers() == 0 ? "; no local rollout workers: start `rlhf4j node "
                + "--join " + hostPort + "`" : "")
            + (c.async().localScorer() ? "" : "; no local scorer: start `rlhf4j node --role "
                + "scorer --join " + hostPort + "`"));
      }
      try {
        // bounded: the coordinator stops when the run ends, fails or stalls, and RunGuardian
        // then shuts the system down
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
        throw new PipelineFailedException("the actor system stopped without a result");
      }
    } catch (java.util.concurrent.CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(cause);
    }
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    double cpuSeconds = ProcessCpu.seconds() - startCpu;
    Path model = out.resolve("model");
    Checkpoint.save(model, new Checkpoint.Contents(spec.policyModel().config(),
        spec.policyModel().heads(), learner.policyParams(), Optional.empty(), result.version(),
        spec.tokenizer(), Map.of(), spec.policyModel().lora().orElse(null)));
    Path summary = out.resolve("summary.json");
    Map<String, Object> s = summary(c, result, seconds);
    // the memory LoRA saves: its reference reads the policy's own base (0 bytes apart)
    s.put("reference_weights_bytes", reference.bytesApartFrom(learner.policyParams()));
    if (resuming) {
      s.put("resumed_from_version", startVersion);
    }
    AtomicFiles.writeString(summary, JSON.writeValueAsString(s));
    return new Outcome(result, seconds, model, summary, learner.snapshot(), cpuSeconds);
  }

  /** What a rollout node needs to sample as the local workers do. */
  static RolloutSetup setup(Spec spec) {
    SamplingSettings sampling = spec.sampling();
    return RolloutSetup.newBuilder().setPolicy(ModelShapes.of(spec.policyModel()))
        .setTemperature(sampling.temperature()).setResponseLength(sampling.maxNewTokens())
        .addAllStopIds(Arrays.stream(sampling.stopTokens()).boxed().toList())
        .setPadId(spec.padId()).setKernels(spec.kernels()).build();
  }

  private static Coordinator.Roles roles(Spec spec, LearnerRecorder recorder,
      Learner.Settings learnerSettings, RolloutScoring scoring, ReferencePolicy reference,
      ParameterStore nodeBase, RolloutWorker.Settings workerSettings, RolloutSetup nodes, Consumer<String> notices) {
    return new Coordinator.Roles() {
      private ActorRef<Learner.Command> learner;
      private ActorRef<Object> pool;

      @Override
      public ActorRef<Learner.Command> learner(ActorContext<Coordinator.Command> ctx) {
        learner = ctx.spawn(Learner.create(ctx.getSelf(), recorder, learnerSettings), "learner",
            DispatcherSelector.fromConfig(DISPATCHER));
        return learner;
      }

      @Override
      public ActorRef<RewardScorer.Command> scorer(ActorContext<Coordinator.Command> ctx,
          ActorRef<Learner.Command> l) {
        if (nodes == null) {
          return localScorer(ctx, l, null);
        }
        // scorer nodes may join: the workers' batches go through a pool
        pool = ctx.spawn(ScorerPool.create(), "scorers");
        if (spec.config().async().localScorer()) {
          localScorer(ctx, l, pool);
        }
        return pool.narrow();
      }

      private ActorRef<RewardScorer.Command> localScorer(ActorContext<Coordinator.Command> ctx,
          ActorRef<Learner.Command> l, ActorRef<Object> inPool) {
        return ctx.spawn(RewardScorer.create(ctx.getSelf(), l, scoring,
            spec.threads().scorer(), spec.config().async().rolloutNiceness(), spec.faults(),
            inPool), "scorer",
            DispatcherSelector.fromConfig(DISPATCHER));
      }

      @Override
      public void workers(ActorContext<Coordinator.Command> ctx,
          ActorRef<RewardScorer.Command> scorer) {
        for (int i = 0; i < spec.config().async().workers(); i++) {
          String id = "worker-" + i;
          ctx.spawn(RolloutWorker.create(id, ctx.getSelf(), scorer, workerSettings,
              spec.faults()), id, DispatcherSelector.fromConfig(DISPATCHER));
        }
        if (nodes != null) {
          NodeGateway.Scorers scorers = new NodeGateway.Scorers(pool, learner,
              spec.rewardModel(), spec.reward(), reference.model(), reference.params(),
              spec.config().ppo().temperature(), spec.padId(), spec.kernels());
          ctx.spawn(NodeGateway.create(ctx.getSelf(), scorer, nodes, nodeBase, scorers,
              WEIGHT_CHUNK_BYTES, WEIGHT_WINDOW, notices), "node-gateway");
        }
      }
    };
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
