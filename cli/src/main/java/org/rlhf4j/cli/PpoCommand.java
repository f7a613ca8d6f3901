package org.rlhf4j.cli;

import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.rlhf4j.actors.cluster.ClusterNodeConfig;
import org.rlhf4j.actors.ppo.PpoPipeline;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.Overrides;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.model.kernels.Kernels;
import org.rlhf4j.tasks.data.JsonlReader;
import org.rlhf4j.tasks.sentiment.SentimentTask;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rlhf4j ppo}: PPO against a reward model through the rollout, scorer and learner actors. */
@Command(name = "ppo", mixinStandardHelpOptions = true,
    description = "PPO (rlhf4j.ppo: GAE with a critic, GRPO or RLOO) on prompts from --data "
        + "({\"prompt\"} JSONL) or --task, against the reward model in --reward-model, through "
        + "the actors: rollout workers sample while the learner trains (rlhf4j.async). Writes "
        + "the final policy, metrics.jsonl, the message log and summary.json to --out.",
    footerHeading = "%nExamples:%n",
    footer = {"  rlhf4j ppo --task sentiment --init runs/mine/sft/model \\",
        "      --reward-model runs/mine/rm/model --out runs/mine/ppo",
        "  rlhf4j ppo --task sentiment --init runs/mine/sft/model \\",
        "      --reward-model runs/mine/rm/model --out runs/mine/ppo --resume",
        "  rlhf4j ppo --data prompts.jsonl --init runs/mine/sft/model \\",
        "      --reward-model runs/mine/rm/model --quick --sync --set ppo.kl-coef=0.1"})
final class PpoCommand implements Callable<Integer> {
  @Mixin TrainingOptions options;

  @Option(names = "--reward-model", paramLabel = "DIR", required = true,
      description = "The reward model: the model of an `rlhf4j rm` run (RUN/model).")
  Path rewardModel;

  @Option(names = "--resume",
      description = "Continue the stopped run in --out: the learner from its newest checkpoint "
          + "(policy, critic, optimizers, KL controller; one every "
          + "rlhf4j.ppo.checkpoint-every versions), then the message log after it. The "
          + "configuration and --init must be the run's own (the same --config and --set, or "
          + "--config OUT/config.conf).")
  void resume(boolean resume) {
    options.resume = resume;
  }

  @Option(names = "--workers", paramLabel = "N",
      description = "Rollout workers in this process, each sampling on its own thread (0: "
          + "only rollout nodes sample, see --listen). "
          + "Default: ${bundle:default.rlhf4j.async.workers}.")
  Integer workers;

  @Option(names = "--max-lag", paramLabel = "VERSIONS",
      description = "Drop a rollout sampled more than this many policy versions ago. "
          + "Default: ${bundle:default.rlhf4j.async.max-lag}.")
  Integer maxLag;

  @Option(names = "--sync",
      description = "Synchronous PPO, the baseline: max-lag 0 and one batch of credits, so the "
          + "rollouts pause while the learner trains.")
  boolean sync;

  @Option(names = "--listen", paramLabel = "HOST:PORT",
      description = "Also take rollout workers and reward scorers on other machines (`rlhf4j "
          + "node --join HOST:PORT`): listen for them here (0.0.0.0 binds every interface).")
  String listen;

  @Option(names = "--quick",
      description = "A short run (a minute or two): " + QuickRun.PPO_DESCRIPTION + "; --set "
          + "still applies over it.")
  boolean quick;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    RlhfConfig c = effectiveConfig(options.config.load(quick
        ? Overrides.none().with(QuickRun.PPO, "--quick") : Overrides.none()));
    Kernels kernels = options.kernels.create();
    PpoPipeline.Spec run = spec(c, kernels, options.out(c, "ppo")).resuming(options.resume);
    PpoPipeline.Listen nodes = null;
    if (listen != null) {
      HostPort at = HostPort.parse("--listen", listen);
      nodes = new PpoPipeline.Listen(at.host(), at.port());
      // TLS stores and passwords are checked here, before the run directory is touched
      ClusterNodeConfig.of(at.host(), at.port(), List.of(), c.clusterTls(), System::getenv,
          ConfigFactory.empty());
    } else if (c.async().workers() == 0) {
      throw new UserInputException("rlhf4j.async.workers = 0 leaves no one to sample: give "
          + "--listen HOST:PORT and start `rlhf4j node --join HOST:PORT` elsewhere");
    }
    PrintWriter err = spec.commandLine().getErr();
    PpoPipeline.Outcome o = PpoPipeline.run(run, ProgressBar.on(err, "ppo"), notice -> {
      err.println("rlhf4j: " + notice);
      err.flush();
    }, nodes);
    spec.commandLine().getOut().printf(Locale.ROOT,
        "{\"model\": \"%s\", \"iterations\": %d, \"weights_sha256\": \"%s\", \"seconds\": %.1f, "
            + "\"trained\": %d, \"dropped_stale\": %d}%n", o.model(), o.result().version(),
        o.result().weightsSha256(), o.seconds(), o.result().learner().trained(),
        o.result().learner().droppedStale());
    spec.commandLine().getOut().flush();
    return 0;
  }

  /** The loaded configuration with this command's options on top. */
  private RlhfConfig effectiveConfig(RlhfConfig loaded) {
    Map<String, Object> overrides = new LinkedHashMap<>();
    if (workers != null) {
      overrides.put("rlhf4j.async.workers", workers);
    }
    if (sync) {
      if (maxLag != null && maxLag != 0) {
        throw new UserInputException("--sync means --max-lag 0, got --max-lag " + maxLag);
      }
      overrides.put("rlhf4j.async.max-lag", 0);
    } else if (maxLag != null) {
      overrides.put("rlhf4j.async.max-lag", maxLag);
    }
    RlhfConfig c = overrides.isEmpty() ? loaded
        : ConfigLoader.withOverrides(loaded, overrides, "the command line");
    if (sync) {
      c = ConfigLoader.withOverrides(c, Map.of("rlhf4j.async.max-in-flight",
          c.ppo().batchSize()), "--sync");
    }
    if (c.async().credits(c.ppo().batchSize()) < c.ppo().batchSize()) {
      throw new UserInputException("rlhf4j.async.max-in-flight = " + c.async().maxInFlight()
          + ": must be at least rlhf4j.ppo.batch-size (" + c.ppo().batchSize() + ")");
    }
    return c;
  }

  private PpoPipeline.Spec spec(RlhfConfig c, Kernels kernels, Path out) throws Exception {
    options.checkOut(c, "ppo");
    ModelSource.requireModelDirectory(rewardModel, "--reward-model");
    TrainingData.Source<String> prompts = options.usesTask()
        ? TrainingData.Source.task("sentiment", SentimentTask.get().trainPrompts())
        : promptsOf(options.data());
    int threads = c.runtime().threadsPerModel();
    return PpoModels.load(c, options.init, options.adapter, rewardModel, kernels)
        .spec(c, prompts.values(), prompts.where(), out, options.kernels.name,
            new PpoPipeline.Threads(threads, threads, threads));
  }

  private static TrainingData.Source<String> promptsOf(Path file) {
    var numbered = JsonlReader.prompts().readAllNumbered(file).stream()
        .map(n -> new JsonlReader.Numbered<>(n.line(), n.example().prompt())).toList();
    return new TrainingData.Source<>(file.toString(), numbered);
  }
}
