package org.rlhf4j.learner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.model.io.AtomicFiles;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.model.tokenizer.Tokenizer;

/**
 * A whole supervised fine-tuning run in a directory: {@code config.conf} (the effective
 * configuration), {@code metrics.jsonl}, {@code checkpoints/step-N} every
 * {@code checkpoint-every} steps, and the final model in {@code model/}. With resume, it continues
 * from the newest checkpoint and ends with the weights an uninterrupted run would have.
 */
public final class SftRun {
  /** What to train and where. */
  public record Spec(RlhfConfig config, Gpt gpt, ParameterStore initial, Tokenizer tokenizer,
      java.util.List<SftTrainer.Example> data, Path out, boolean resume) {}

  /** How the run ended. */
  public record Result(Path model, long steps, double finalLoss, long skippedSteps) {}

  private SftRun() {}

  public static Result run(Spec spec, ProgressListener progress) throws IOException {
    RlhfConfig c = spec.config();
    TensorThreads.bindCurrentThread(c.runtime().threadsPerModel());
    Files.createDirectories(spec.out());
    CheckpointDirectory checkpoints = new CheckpointDirectory(spec.out(), 2);
    Optional<Path> latest = checkpoints.latest();
    if (latest.isPresent() && !spec.resume()) {
      throw new RunDirectoryException(spec.out() + " already holds a run (" + latest.get()
          + "); pass --resume to continue it or choose another --out");
    }
    ParameterStore params = spec.initial().copy(DataType.FLOAT);
    long total = c.sft().steps();
    OptimizerStep optimizer = new OptimizerStep(params, c.optimizer(), total, spec.gpt().kernels());
    long start = 0;
    if (spec.resume() && latest.isPresent()) {
      Checkpoint.Contents saved = Checkpoint.load(latest.get(), DataType.FLOAT);
      params.copyFrom(saved.params());
      Checkpoint.OptimizerState state = saved.optimizer().orElseThrow(() ->
          new RunDirectoryException(latest.get() + " has no optimizer state to resume from"));
      optimizer.adamw().restore(state.firstMoments(), state.secondMoments(), state.step());
      start = saved.step();
    }
    AtomicFiles.writeString(spec.out().resolve("config.conf"), ConfigLoader.render(c));
    SftTrainer trainer = new SftTrainer(spec.gpt(), params, optimizer, c.sft(), spec.data(),
        c.run().seed(), spec.tokenizer().padId());
    double lastLoss = Double.NaN;
    try (MetricsLog metrics = MetricsLog.open(spec.out().resolve("metrics.jsonl"), start)) {
      for (long step = start; step < total; step++) {
        Map<String, Double> m = trainer.step(step);
        lastLoss = m.get(SftTrainer.LOSS);
        metrics.write(step, m);
        progress.onStep(step + 1, total, "loss", lastLoss);
        boolean last = step + 1 == total;
        if ((step + 1) % c.sft().checkpointEvery() == 0 || last) {
          checkpoints.save(contents(spec, params, optimizer, step + 1));
        }
      }
    }
    Path model = spec.out().resolve("model");
    Checkpoint.save(model, new Checkpoint.Contents(spec.gpt().config(), spec.gpt().heads(), params,
        Optional.empty(), total, spec.tokenizer().describe()));
    return new Result(model, total, lastLoss, optimizer.skipped());
  }

  private static Checkpoint.Contents contents(Spec spec, ParameterStore params,
      OptimizerStep optimizer, long step) {
    return new Checkpoint.Contents(spec.gpt().config(), spec.gpt().heads(), params,
        Optional.of(new Checkpoint.OptimizerState(optimizer.adamw().firstMoments(),
            optimizer.adamw().secondMoments(), optimizer.adamw().step())),
        step, spec.tokenizer().describe());
  }
}
