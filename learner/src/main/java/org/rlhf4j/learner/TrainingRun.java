package org.rlhf4j.learner;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.model.io.AtomicFiles;
import org.rlhf4j.model.io.Checkpoint;

/**
 * The loop every synchronous trainer shares, in a run directory: {@code config.conf} (the
 * effective configuration), {@code metrics.jsonl}, {@code checkpoints/step-N} every so many steps,
 * the final model in {@code model/}; with resume it continues from the newest checkpoint and ends
 * where an uninterrupted run would.
 */
public final class TrainingRun {
  /** One kind of training, seen by the loop. */
  public interface Stage {
    long totalSteps();

    int checkpointEvery();

    /** The metric shown on the progress bar. */
    String keyMetric();

    Map<String, Double> step(long step);

    /** Model, optimizer state and step, for a resumable checkpoint. */
    Checkpoint.Contents checkpoint(long step);

    /** Puts a checkpoint's weights and optimizer state back. */
    void restore(Checkpoint.Contents saved);
  }

  /** How a run ended: where the model is and the last value of the key metric. */
  public record Result(Path model, long steps, double keyMetric) {}

  private TrainingRun() {}

  /**
   * Trains {@code stage} in {@code dir}, which the caller has claimed (with resume, from its newest
   * sound checkpoint). Notices, such as a checkpoint skipped as corrupt, go to {@code progress}.
   */
  public static Result run(RunDirectory dir, RlhfConfig config, Stage stage,
      ProgressListener progress) throws IOException {
    TensorThreads.bindCurrentThread(config.runtime().threadsPerModel());
    Path out = dir.path();
    CheckpointDirectory checkpoints = new CheckpointDirectory(out, 2);
    long start = 0;
    if (dir.resume()) {
      Optional<Checkpoint.Contents> saved = checkpoints.loadNewest(progress::onNotice);
      if (saved.isPresent()) {
        stage.restore(saved.get());
        start = saved.get().step();
      }
    }
    AtomicFiles.writeString(out.resolve("config.conf"), ConfigLoader.render(config));
    long total = stage.totalSteps();
    double last = Double.NaN;
    try (MetricsLog metrics = MetricsLog.open(out.resolve("metrics.jsonl"), start,
        progress::onNotice)) {
      for (long step = start; step < total; step++) {
        Map<String, Double> m;
        try {
          m = stage.step(step);
        } catch (TrainingDivergedException e) {
          // keep what was learned before it went wrong, and say where it is
          Path saved = checkpoints.save(stage.checkpoint(step));
          throw new TrainingDivergedException(e.getMessage() + "; the weights before it are in "
              + saved);
        }
        last = m.getOrDefault(stage.keyMetric(), Double.NaN);
        metrics.write(step, m);
        progress.onStep(step + 1, total, stage.keyMetric(), last);
        if ((step + 1) % stage.checkpointEvery() == 0 || step + 1 == total) {
          checkpoints.save(stage.checkpoint(step + 1));
        }
      }
    }
    Checkpoint.Contents done = stage.checkpoint(total);
    Path model = out.resolve("model");
    Checkpoint.save(model, new Checkpoint.Contents(done.config(), done.heads(), done.params(),
        Optional.empty(), total, done.tokenizer(), done.state(), done.lora()));
    return new Result(model, total, last);
  }

  /**
   * Checkpoint contents of a single-model stage trained by {@code optimizer}; a reward model's
   * records its {@link org.rlhf4j.model.RewardPooling}, which its readers must use.
   */
  public static Checkpoint.Contents contents(org.rlhf4j.model.Gpt gpt,
      org.rlhf4j.model.ParameterStore params, OptimizerStep optimizer, long step,
      Map<String, String> tokenizer) {
    Map<String, String> state = gpt.heads().contains(org.rlhf4j.model.Head.REWARD)
        ? Map.of(org.rlhf4j.model.RewardPooling.STATE_KEY, gpt.rewardPooling().configName())
        : Map.of();
    return new Checkpoint.Contents(gpt.config(), gpt.heads(), params,
        Optional.of(new Checkpoint.OptimizerState(optimizer.adamw().firstMoments(),
            optimizer.adamw().secondMoments(), optimizer.adamw().step())),
        step, tokenizer, state, gpt.lora().orElse(null));
  }

  /** Restores a single-model stage. */
  public static void restore(org.rlhf4j.model.ParameterStore params, OptimizerStep optimizer,
      Checkpoint.Contents saved) {
    params.copyFrom(saved.params());
    Checkpoint.OptimizerState s = saved.optimizer().orElseThrow();
    optimizer.adamw().restore(s.firstMoments(), s.secondMoments(), s.step());
  }
}
