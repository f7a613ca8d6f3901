package org.rlhf4j.learner;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.model.tokenizer.Tokenizer;

/**
 * A synchronous PPO run: {@link PpoTrainer} in the {@link TrainingRun} loop. The policy's
 * checkpoints carry the KL coefficient and update count; a separate critic is checkpointed beside
 * them under {@code critic/}, so a resumed run continues exactly.
 */
public final class PpoRun {
  /** The models and prompts; {@code criticModel}/{@code critic} null unless a separate critic. */
  public record Spec(RlhfConfig config, Gpt policyModel, ParameterStore initialPolicy,
      Gpt rewardModel, ParameterStore reward, Gpt criticModel, ParameterStore initialCritic,
      Tokenizer tokenizer, List<int[]> prompts, Path out, boolean resume) {}

  private PpoRun() {}

  public static TrainingRun.Result run(Spec spec, ProgressListener progress) throws IOException {
    RlhfConfig c = spec.config();
    ParameterStore policy = spec.initialPolicy().copy(DataType.FLOAT);
    ParameterStore reference = spec.initialPolicy().copy(DataType.FLOAT);
    long updatesTotal = (long) c.ppo().iterations() * c.ppo().epochs() * c.ppo().minibatches();
    OptimizerStep policyOptimizer = new OptimizerStep(policy, c.optimizer(), updatesTotal,
        spec.policyModel().kernels());
    ParameterStore critic = spec.initialCritic() == null ? null
        : spec.initialCritic().copy(DataType.FLOAT);
    OptimizerStep criticOptimizer = critic == null ? null
        : new OptimizerStep(critic, c.optimizer(), updatesTotal, spec.criticModel().kernels());
    PpoTrainer trainer = new PpoTrainer(new PpoTrainer.Models(spec.policyModel(), policy,
        reference, spec.rewardModel(), spec.reward(), spec.criticModel(), critic), c.ppo(),
        policyOptimizer, criticOptimizer, spec.prompts(), c.run().seed(), spec.tokenizer().eosId(),
        spec.tokenizer().padId());
    CheckpointDirectory criticCheckpoints = new CheckpointDirectory(spec.out().resolve("critic"), 2);
    RunDirectory runDir = RunDirectory.claim(spec.out(), RunDirectory.PPO, spec.resume());
    try (runDir) {
      return TrainingRun.run(runDir, c, new TrainingRun.Stage() {
        @Override
        public long totalSteps() {
          return c.ppo().iterations();
        }

        @Override
        public int checkpointEvery() {
          return c.ppo().checkpointEvery();
        }

        @Override
        public String keyMetric() {
          return "objective/scores";
        }

        @Override
        public Map<String, Double> step(long step) {
          return trainer.iteration(step);
        }

        @Override
        public Checkpoint.Contents checkpoint(long step) {
          if (critic != null) {
            try {
              criticCheckpoints.save(TrainingRun.contents(spec.criticModel(), critic,
                  criticOptimizer, step, spec.tokenizer().describe()));
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }
          Checkpoint.Contents p = TrainingRun.contents(spec.policyModel(), policy, policyOptimizer,
              step, spec.tokenizer().describe());
          return new Checkpoint.Contents(p.config(), p.heads(), p.params(), p.optimizer(), step,
              p.tokenizer(), trainer.state());
        }

        @Override
        public void restore(Checkpoint.Contents saved) {
          TrainingRun.restore(policy, policyOptimizer, saved);
          trainer.restoreState(saved.state());
          if (critic != null) {
            try {
              Path dir = spec.out().resolve("critic").resolve("checkpoints")
                  .resolve("step-" + saved.step());
              Checkpoint.Contents c2 = Checkpoint.load(dir, DataType.FLOAT);
              TrainingRun.restore(critic, criticOptimizer, c2);
            } catch (IOException e) {
              throw new RunDirectoryException("cannot resume the critic: " + e.getMessage());
            }
          }
        }
      }, progress);
    }
  }
}
