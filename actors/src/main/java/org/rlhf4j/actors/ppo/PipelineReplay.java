package org.rlhf4j.actors.ppo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.RunDirectoryException;
import org.rlhf4j.learner.async.FreshLearner;
import org.rlhf4j.learner.async.PpoLearner;
import org.rlhf4j.learner.async.Replay;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.model.kernels.Kernels;

/**
 * Rebuilds the learner of a {@link PpoPipeline} run from its directory alone: the configuration,
 * the initial weights and {@code run.json}'s kernels and thread count, then {@link Replay} of the
 * message log. The rebuilt weights equal the run's final weights bit for bit.
 */
public final class PipelineReplay {
  static final String INITIAL_POLICY = "initial/policy";
  static final String INITIAL_CRITIC = "initial/critic";
  static final String RUN_JSON = "run.json";

  private PipelineReplay() {}

  /** The learner rebuilt from {@code dir}'s message log. */
  public static PpoLearner run(Path dir) throws IOException {
    for (String f : new String[] {"config.conf", RUN_JSON, INITIAL_POLICY, PpoPipeline.LOG}) {
      if (!Files.exists(dir.resolve(f))) {
        throw new RunDirectoryException(dir + " is not a PPO run directory: it has no " + f);
      }
    }
    RlhfConfig c = ConfigLoader.load(dir.resolve("config.conf"));
    JsonNode run = new ObjectMapper().readTree(dir.resolve(RUN_JSON).toFile());
    Kernels kernels = Kernels.named(run.path("kernels").asText("vector"));
    TensorThreads.bindCurrentThread(run.path("learner_threads").asInt(1));
    Checkpoint.Contents policy = Checkpoint.load(dir.resolve(INITIAL_POLICY), DataType.FLOAT);
    Gpt policyModel = new Gpt(policy.config(), policy.heads(), kernels);
    Gpt criticModel = null;
    Checkpoint.Contents critic = null;
    if (Files.exists(dir.resolve(INITIAL_CRITIC))) {
      critic = Checkpoint.load(dir.resolve(INITIAL_CRITIC), DataType.FLOAT);
      criticModel = new Gpt(critic.config(), critic.heads(), kernels);
    }
    PpoLearner fresh = FreshLearner.create(c, policyModel, policy.params(), criticModel,
        critic == null ? null : critic.params(), run.path("pad_id").asInt());
    return Replay.run(dir.resolve(PpoPipeline.LOG), fresh, c.log().maxRecordBytes());
  }
}
