package org.rlhf4j.learner;

import java.io.IOException;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.tokenizer.Tokenizer;

/** A supervised fine-tuning run: {@link SftTrainer} inside the shared {@link TrainingRun} loop. */
public final class SftRun {
  /** What to train, and the run directory the caller has claimed for it. */
  public record Spec(RlhfConfig config, Gpt gpt, ParameterStore initial, Tokenizer tokenizer,
      List<SftTrainer.Example> data, RunDirectory out) {}

  private SftRun() {}

  public static TrainingRun.Result run(Spec spec, ProgressListener progress) throws IOException {
    return TrainingRun.run(spec.out(), spec.config(), stage(spec), progress);
  }

  /** The stage {@link #run} trains; tests wrap it to inject faults. */
  static TrainingRun.Stage stage(Spec spec) {
    RlhfConfig c = spec.config();
    ParameterStore params = spec.initial().copy(DataType.FLOAT);
    OptimizerStep optimizer = new OptimizerStep(spec.gpt().trainable(params), c.optimizer(),
        c.sft().steps(),
        spec.gpt().kernels());
    SftTrainer trainer = new SftTrainer(spec.gpt(), params, optimizer, c.sft(), spec.data(),
        c.run().seed(), spec.tokenizer().padId(), c.runtime().trainShards(),
        c.runtime().threadsPerModel());
    return new SingleModelStage(spec.gpt(), params, optimizer, spec.tokenizer(),
        c.sft().steps(), c.sft().checkpointEvery(), SftTrainer.LOSS, trainer::step);
  }
}
