package org.rlhf4j.actors.ppo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.RunDirectoryException;
import org.rlhf4j.learner.async.FreshLearner;
import org.rlhf4j.learner.async.PpoLearner;
import org.rlhf4j.learner.async.Replay;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.RewardPooling;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.model.kernels.Kernels;
import org.rlhf4j.protocol.pb.Metrics;

/**
 * Rebuilds the learner of a {@link PpoPipeline} run from its directory alone: the configuration,
 * the initial weights and {@code run.json}'s kernels and thread count, then {@link Replay} of the
 * message log, resumed segments included (a resumed run continues the same log). The rebuilt
 * weights equal the run's final weights bit for bit. The log's first record fingerprints the
 * starting files, so an edited {@code config.conf}, {@code run.json} or initial checkpoint is
 * named before anything is replayed.
 */
public final class PipelineReplay {
  private PipelineReplay() {}

  /** The learner rebuilt from {@code dir}'s message log, and whether the log is complete. */
  public static Replay.Outcome run(Path dir) throws IOException {
    for (String f : new String[] {RunFiles.CONFIG, RunFiles.RUN_JSON, RunFiles.INITIAL_POLICY,
        PpoPipeline.LOG}) {
      if (!Files.exists(dir.resolve(f))) {
        throw new RunDirectoryException(dir + " is not a PPO run directory: it has no " + f);
      }
    }
    RlhfConfig c = ConfigLoader.load(dir.resolve(RunFiles.CONFIG));
    JsonNode run = new ObjectMapper().readTree(dir.resolve(RunFiles.RUN_JSON).toFile());
    Kernels kernels = Kernels.named(run.path("kernels").asText("vector"));
    TensorThreads.bindCurrentThread(run.path("learner_threads").asInt(1));
    Checkpoint.Contents policy = Checkpoint.load(dir.resolve(RunFiles.INITIAL_POLICY),
        DataType.FLOAT);
    // the initial checkpoints record the lora settings: with them, the layouts of the run
    Gpt policyModel = new Gpt(policy.config(), policy.heads(), kernels, RewardPooling.LAST,
        policy.lora());
    Gpt criticModel = null;
    Checkpoint.Contents critic = null;
    if (Files.exists(dir.resolve(RunFiles.INITIAL_CRITIC))) {
      critic = Checkpoint.load(dir.resolve(RunFiles.INITIAL_CRITIC), DataType.FLOAT);
      criticModel = new Gpt(critic.config(), critic.heads(), kernels, RewardPooling.LAST,
          critic.lora());
    }
    PpoLearner fresh = FreshLearner.create(c, policyModel, policy.params(), criticModel,
        critic == null ? null : critic.params(), run.path("pad_id").asInt());
    Path log = dir.resolve(PpoPipeline.LOG);
    Optional<Metrics> start = Replay.runStart(log, c.log().maxRecordBytes());
    if (start.isPresent()) {
      RunFiles.checkUnchanged(dir, start.get().getValuesMap());
    }
    return Replay.fromStart(log, fresh, c.log().maxRecordBytes());
  }
}
