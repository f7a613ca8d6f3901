package org.rlhf4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.rlhf4j.bench.BroadcastThroughput;
import org.rlhf4j.bench.GenerateThroughput;
import org.rlhf4j.bench.NodeOverhead;
import org.rlhf4j.bench.PeerShape;
import org.rlhf4j.bench.PipelineBench;
import org.rlhf4j.bench.ResidentMemory;
import org.rlhf4j.bench.TrainThroughput;
import org.rlhf4j.config.Overrides;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.eval.GoldReward;
import org.rlhf4j.learner.eval.PolicySamples;
import org.rlhf4j.learner.eval.SamplingPlan;
import org.rlhf4j.learner.eval.ScoredText;
import org.rlhf4j.model.kernels.Kernels;
import org.rlhf4j.tasks.sentiment.SentimentTask;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rlhf4j bench ...}: throughput under the PyTorch peer's protocol, one JSON line each. */
@Command(name = "bench", description = "Measure throughput as the PyTorch peer described in BENCHMARKS.md does.",
    mixinStandardHelpOptions = true, subcommands = {BenchCommand.Train.class, BenchCommand.Generate.class,
        BenchCommand.Pipeline.class, BenchCommand.Broadcast.class},
    footerHeading = "%nExamples:%n",
    footer = {"  rlhf4j bench train --size M --threads 2",
        "  rlhf4j bench pipeline        # after rlhf4j demo, on its models"})
final class BenchCommand {

  /** {@code rlhf4j bench train}: forward + backward + AdamW tokens per second. */
  @Command(name = "train", mixinStandardHelpOptions = true,
      description = "Training tokens/s (forward + backward + AdamW, float32) on the peer's shapes; "
          + "prints {\"config\", \"params\", \"trainable_params\", \"optimizer_bytes\", "
          + "\"lora_rank\", \"recompute\", \"threads\", \"train_tokens_per_s\"} (config: the "
          + "size); with --steps also the resident memory over the run.",
      footerHeading = "%nExamples:%n",
      footer = {"  rlhf4j bench train --size S --profile",
          "  rlhf4j bench train --size M --threads 2 --recompute --steps 100",
          "  rlhf4j bench train --size G --lora-rank 8"})
  static final class Train implements Callable<Integer> {
    @Mixin Shape bench;

    @Option(names = "--profile",
        description = "Also print milliseconds per step by kernel to stderr. Timing each "
            + "kernel changes what the JIT compiles: the tokens/s of a profiled run are not "
            + "the bench's figure.")
    boolean profile;

    @Option(names = "--lora-rank", paramLabel = "R", defaultValue = "0",
        description = "Train LoRA adapters of rank R on c_attn (alpha = R) instead of every "
            + "parameter; 0 trains every parameter. Default: ${DEFAULT-VALUE}.")
    int loraRank;

    @Option(names = "--recompute",
        description = "Keep half of each block's activations and compute the rest again in the "
            + "backward (rlhf4j.runtime.recompute-activations): less memory, a little more time.")
    boolean recompute;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "0",
        description = "Measure exactly N steps instead of --seconds, reading resident memory "
            + "after each: adds {\"steps\", \"rss_mb_after_tenth\", \"rss_mb_last\", "
            + "\"rss_mb_peak\"} (flat memory: last close to after_tenth). Linux only. "
            + "Default: ${DEFAULT-VALUE} (use --seconds).")
    int steps;

    @Mixin KernelsOption kernels;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      if (steps < 0) {
        throw new UserInputException("--steps: expected 0 (measure for --seconds) or a number "
            + "of steps, got " + steps);
      }
      if (steps > 0 && !ResidentMemory.available()) {
        throw new UserInputException("--steps: resident memory is read from /proc/self/status, "
            + "which this system does not have; measure for --seconds instead");
      }
      if (loraRank < 0) {
        throw new UserInputException("--lora-rank: expected 0 (full fine-tuning) or a rank of at "
            + "least 1, got " + loraRank);
      }
      PeerShape shape = bench.shape();
      spec.commandLine().getErr().printf("bench train: size %s, %d thread(s), %s kernels, "
          + "measuring %s...%n", shape, bench.threads, kernels.name,
          steps > 0 ? steps + " steps" : String.format(Locale.ROOT, "for %.0f s", bench.seconds));
      spec.commandLine().getErr().flush();
      ProgressBar bar = ProgressBar.on(spec.commandLine().getErr(), "train");
      TrainThroughput.Result r = TrainThroughput.run(shape, bench.threads, bench.seconds,
          kernels.create(), loraRank, recompute, steps, profile,
          (done, total, resident) -> bar.onStep(done, total, "rss_mb", resident / 1e6));
      PrintWriter out = spec.commandLine().getOut();
      String memory = r.resident() == null ? "" : String.format(Locale.ROOT, ", \"steps\": %d, "
          + "\"rss_mb_after_tenth\": %.1f, \"rss_mb_last\": %.1f, \"rss_mb_peak\": %.1f", steps,
          r.resident().afterFirstTenth() / 1e6, r.resident().last() / 1e6,
          r.resident().peak() / 1e6);
      out.printf(Locale.ROOT, "{\"config\": \"%s\", \"params\": %d, \"trainable_params\": %d, "
          + "\"optimizer_bytes\": %d, \"lora_rank\": %d, \"recompute\": %b, \"threads\": %d, "
          + "\"train_tokens_per_s\": %d%s}%n", shape, r.params(), r.trainableParams(),
          r.optimizerBytes(), loraRank, recompute, r.threads(), Math.round(r.tokensPerSecond()),
          memory);
      out.flush();
      if (profile) {
        PrintWriter err = spec.commandLine().getErr();
        double total = r.secondsPerStep() * 1e3;
        printKernelTimes(err, "step", total, r.kernelMillisPerStep());
        double dispatch = r.opsPerStep() * r.microsPerTinyOp() / 1e3;
        err.printf(Locale.ROOT, "%d ND4J ops per step at %.1f us fixed cost each: %.1f ms (%.0f%%) "
            + "of dispatch overhead%n", r.opsPerStep(), r.microsPerTinyOp(), dispatch,
            100 * dispatch / total);
        err.flush();
      }
      return 0;
    }
  }

  /** The milliseconds per {@code unit} in each kernel, and outside them, to {@code err}. */
  static void printKernelTimes(PrintWriter err, String unit, double totalMillis,
      Map<String, Double> kernelMillis) {
    double kernels = kernelMillis.values().stream().mapToDouble(d -> d).sum();
    err.printf(Locale.ROOT, "%.1f ms per %s; kernels %.1f ms (%.0f%%), outside kernels %.1f ms%n",
        totalMillis, unit, kernels, 100 * kernels / totalMillis, totalMillis - kernels);
    for (Map.Entry<String, Double> e : kernelMillis.entrySet()) {
      err.printf(Locale.ROOT, "  %-14s %8.2f ms  %5.1f%%%n", e.getKey(), e.getValue(),
          100 * e.getValue() / totalMillis);
    }
    err.flush();
  }

  /** {@code rlhf4j bench generate}: sampled tokens per second with the KV cache. */
  @Command(name = "generate", mixinStandardHelpOptions = true,
      description = "Generation tokens/s (batch 16, 16-token prompt, 64 new tokens, multinomial "
          + "sampling, KV cache) on the peer's shapes; prints {\"config\", \"params\", "
          + "\"threads\", \"gen_tokens_per_s\"} (config: the size).",
      footerHeading = "%nExamples:%n",
      footer = {"  rlhf4j bench generate --size S",
          "  rlhf4j bench generate --size M --threads 2",
          "  rlhf4j bench generate --size S --profile"})
  static final class Generate implements Callable<Integer> {
    @Mixin Shape bench;

    @Option(names = "--profile",
        description = "Also print milliseconds per batch of 16 × 64 tokens by kernel to stderr "
            + "(timing every call slows the run a little; its tokens/s are not the figure).")
    boolean profile;

    @Mixin KernelsOption kernels;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      PeerShape shape = bench.shape();
      spec.commandLine().getErr().printf("bench generate: size %s, %d thread(s), %s kernels, "
          + "measuring for %.0f s...%n", shape, bench.threads, kernels.name, bench.seconds);
      spec.commandLine().getErr().flush();
      GenerateThroughput.Result r = GenerateThroughput.run(shape, bench.threads, bench.seconds,
          kernels.create(), profile);
      PrintWriter out = spec.commandLine().getOut();
      out.printf(Locale.ROOT, "{\"config\": \"%s\", \"params\": %d, \"threads\": %d, "
          + "\"gen_tokens_per_s\": %d}%n", shape, r.params(), r.threads(),
          Math.round(r.tokensPerSecond()));
      out.flush();
      if (profile) {
        printKernelTimes(spec.commandLine().getErr(), "batch", r.secondsPerBatch() * 1e3,
            r.kernelMillisPerBatch());
      }
      return 0;
    }
  }

  /** {@code rlhf4j bench broadcast}: policy versions to N rollout nodes over Artery. */
  @Command(name = "broadcast", mixinStandardHelpOptions = true,
      description = "Policy versions of a peer shape sent from a learner node to N rollout "
          + "nodes (actor systems of this JVM in one Pekko cluster on 127.0.0.1, so every byte "
          + "crosses Artery's TCP), chunked, acknowledged and checked; two versions warm up, "
          + "three are timed. Prints {\"config\", \"bytes\", \"nodes\", \"seconds\", "
          + "\"mb_per_s\", \"version_seconds\"} (config: the size; seconds: the timed "
          + "versions' median; 10^6 bytes delivered per second, all nodes together).",
      footerHeading = "%nExamples:%n",
      footer = {"  rlhf4j bench broadcast --size S --nodes 1",
          "  rlhf4j bench broadcast --size G --nodes 2"})
  static final class Broadcast implements Callable<Integer> {
    // Artery's large frame (2 MiB, reference.conf) less room for names, offsets and framing
    private static final int MAX_CHUNK_BYTES = 7 << 18;

    @Mixin Size size;

    @Option(names = "--nodes", paramLabel = "N", defaultValue = "2",
        description = "Rollout nodes. Default: ${DEFAULT-VALUE}.")
    int nodes;

    @Option(names = "--chunk-bytes", paramLabel = "BYTES", defaultValue = "1048576",
        description = "Tensor bytes per chunk, at most 1.75 MiB (Artery's large frames hold "
            + "2 MiB). Default: ${DEFAULT-VALUE}, as PPO sends.")
    int chunkBytes;

    @Option(names = "--window", paramLabel = "N", defaultValue = "16",
        description = "Unacknowledged chunks per node. Default: ${DEFAULT-VALUE}.")
    int window;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PeerShape shape = size.shape();
      if (nodes < 1 || chunkBytes < Float.BYTES || chunkBytes > MAX_CHUNK_BYTES || window < 1) {
        throw new UserInputException("--nodes and --window: expected at least 1, --chunk-bytes "
            + "4 to " + MAX_CHUNK_BYTES + " (a larger chunk would exceed Artery's frame and be "
            + "dropped); got " + nodes + ", " + window + " and " + chunkBytes);
      }
      spec.commandLine().getErr().printf("bench broadcast: size %s to %d node(s), chunks of %d "
          + "bytes, %d in flight...%n", shape, nodes, chunkBytes, window);
      spec.commandLine().getErr().flush();
      BroadcastThroughput.Result r = BroadcastThroughput.run(shape, nodes, chunkBytes, window);
      PrintWriter out = spec.commandLine().getOut();
      out.printf(Locale.ROOT, "{\"config\": \"%s\", \"bytes\": %d, \"nodes\": %d, "
          + "\"seconds\": %.3f, \"mb_per_s\": %.1f, \"version_seconds\": [%s]}%n", shape,
          r.bytes(), r.nodes(), r.seconds(), r.megabytesPerSecond(), r.timed().stream()
              .map(t -> String.format(Locale.ROOT, "%.3f", t)).collect(Collectors.joining(", ")));
      out.flush();
      return 0;
    }
  }

  /** {@code rlhf4j bench pipeline}: asynchronous against synchronous PPO on the built-in task. */
  @Command(name = "pipeline", mixinStandardHelpOptions = true,
      description = "Asynchronous vs synchronous PPO through the actors on the sentiment task, "
          + "the same number of updates from the same SFT model and reward model (defaults: "
          + "those of `rlhf4j demo`); the synchronous arm runs each phase at its best measured "
          + "thread count. Prints {\"sync_seconds\", \"async_seconds\", \"speedup\", thread "
          + "settings, each arm's final gold reward, the share of its time the learner was "
          + "busy, the share of the cores each arm kept busy, and the speedup were every core "
          + "busy through the asynchronous arm (its CPU time spread over the cores, the "
          + "fastest the same work could run)}.",
      footerHeading = "%nExamples:%n",
      footer = {"  rlhf4j bench pipeline        # after rlhf4j demo, on its models",
          "  rlhf4j bench pipeline --generation-heavy",
          "  rlhf4j bench pipeline --workers 2 --nodes 1 --set ppo.iterations=20"})
  static final class Pipeline implements Callable<Integer> {
    /** --generation-heavy's settings, under any --set. */
    static final Overrides GENERATION_HEAVY = Overrides.none().with(Map.of(
        "rlhf4j.ppo.response-length", 64, "rlhf4j.ppo.stop-token", "none",
        "rlhf4j.ppo.epochs", 1), "--generation-heavy");

    @Option(names = "--generation-heavy",
        description = "Every response 64 tokens long, none ending at EOS (ppo.stop-token=none), "
            + "and one epoch a batch: generation outweighs the learner's round, as in RLHF at "
            + "scale (under --set, which can change each).")
    boolean generationHeavy;

    @Option(names = "--init", paramLabel = "DIR", defaultValue = "runs/demo/sft/model",
        description = "The SFT policy. Default: ${DEFAULT-VALUE}.")
    Path init;

    @Option(names = "--reward-model", paramLabel = "DIR", defaultValue = "runs/demo/rm/model",
        description = "The reward model. Default: ${DEFAULT-VALUE}.")
    Path rewardModel;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "1",
        description = "Rollout workers of the asynchronous arm. Default: ${DEFAULT-VALUE}.")
    int workers;

    @Option(names = "--nodes", paramLabel = "N",
        description = "Instead of the two arms: one asynchronous run whose --workers "
            + "workers include N on rollout nodes of one worker each (actor systems of this JVM "
            + "joined over Artery on 127.0.0.1). Prints {nodes, local_workers, versions, "
            + "seconds, rollouts_per_s}.")
    Integer nodes;

    @Option(names = "--eval-prompts", paramLabel = "N", defaultValue = "256",
        description = "Held-out prompts for each arm's gold reward. Default: ${DEFAULT-VALUE}.")
    int evalPrompts;

    @Option(names = "--out", paramLabel = "DIR",
        description = "Where both runs go. Default: runs/bench/pipeline-<time>.")
    Path out;

    @Mixin SeededConfigOption config;
    @Mixin KernelsOption kernels;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      if (nodes != null && (nodes < 0 || nodes > workers)) {
        throw new UserInputException("--nodes " + nodes + ": expected 0 to --workers ("
            + workers + ")");
      }
      RlhfConfig c = config.load(generationHeavy ? GENERATION_HEAVY : Overrides.none());
      if (!Files.exists(init) || !Files.exists(rewardModel)) {
        throw new UserInputException((Files.exists(init) ? rewardModel : init)
            + ": no such model; run `bin/rlhf4j demo` first or pass --init and --reward-model");
      }
      if (workers < 1 || evalPrompts < 1) {
        throw new UserInputException("--workers and --eval-prompts must be at least 1");
      }
      ModelSource.requireModelDirectory(init, "--init");
      ModelSource.requireModelDirectory(rewardModel, "--reward-model");
      Kernels k = kernels.create();
      PpoModels models = PpoModels.load(c, init, rewardModel, k);
      List<String> prompts = SentimentTask.get().trainPrompts();
      Path dir = out != null ? out : Path.of("runs", "bench", "pipeline-"
          + java.time.LocalDateTime.now().format(
              java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
      if (nodes != null) {
        NodeOverhead.Result r = NodeOverhead.run(c, (config, runDir, threads) -> models.spec(
            config, prompts, runDir, kernels.name, threads), dir, workers, nodes,
            spec.commandLine().getErr());
        spec.commandLine().getOut().println(r.json());
        spec.commandLine().getOut().flush();
        return 0;
      }
      var tokenizer = models.policy().tokenizer();
      List<int[]> evalIds = SentimentTask.get().evalPrompts().stream().limit(evalPrompts)
          .map(p -> Tokenized.prompt(p, tokenizer)).toList();
      SamplingPlan plan = EvalCommand.samplingPlan(c, tokenizer);
      PipelineBench.Result r = PipelineBench.run(c,
          (config, runDir, threads) -> models.spec(config, prompts, runDir, kernels.name,
              threads),
          dir, workers, policy -> GoldReward.of(PolicySamples.draw(policy, evalIds,
              tokenizer, plan).samples(), SentimentTask.get().labeler(),
              ScoredText.PROMPT_AND_RESPONSE), spec.commandLine().getErr());
      spec.commandLine().getOut().println(r.json());
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  /** The throughput benchmarks' options: the peer's model size, threads and measuring time. */
  static final class Shape {
    @Mixin Size size;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
        description = "Tensor threads. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--seconds", paramLabel = "SECONDS", defaultValue = "8",
        description = "Minimum measuring time. Default: ${DEFAULT-VALUE}.")
    double seconds;

    PeerShape shape() {
      if (threads < 1) {
        throw new UserInputException("--threads: expected at least 1, got " + threads);
      }
      return size.shape();
    }
  }

  /**
   * The peer's model size. It was --config before --config meant a HOCON file in every command;
   * an old command line is refused with the new spelling rather than read as a file.
   */
  static final class Size {
    @Option(names = "--size", paramLabel = "S|M|G", defaultValue = "S",
        description = "The PyTorch peer's model size: S, M or G (GPT-2 small's). "
            + "Default: ${DEFAULT-VALUE}.")
    String size;

    @Option(names = "--config", paramLabel = "S|M|G", hidden = true)
    String config;

    PeerShape shape() {
      if (config != null) {
        throw new UserInputException("--config " + config + ": the model size is --size S|M|G "
            + "(--config names a HOCON file elsewhere); did you mean --size " + config + "?");
      }
      try {
        return PeerShape.parse(size);
      } catch (IllegalArgumentException e) {
        throw new UserInputException("--size " + size + ": expected S, M or G");
      }
    }
  }
}
