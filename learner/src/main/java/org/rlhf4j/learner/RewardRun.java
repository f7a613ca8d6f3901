package org.rlhf4j.learner;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.tokenizer.Tokenizer;

/** A reward-model run: {@link RewardTrainer} in the {@link TrainingRun} loop, then held-out accuracy. */
public final class RewardRun {
  /** What to train and the claimed run directory; {@code gpt} must carry the REWARD head. */
  public record Spec(RlhfConfig config, Gpt gpt, ParameterStore initial, Tokenizer tokenizer,
      List<PreferencePair> pairs, RunDirectory out) {}

  /** The trained model and its accuracy on the held-out pairs. */
  public record Result(Path model, long steps, double loss, double heldOutAccuracy, int heldOut) {}

  private RewardRun() {}

  public static Result run(Spec spec, ProgressListener progress) throws IOException {
    RlhfConfig c = spec.config();
    List<PreferencePair> train = new ArrayList<>();
    List<PreferencePair> heldOut = new ArrayList<>();
    split(spec.pairs(), c.reward().evalFraction(), c.run().seed(), train, heldOut);
    ParameterStore params = spec.initial().copy(DataType.FLOAT);
    OptimizerStep optimizer = new OptimizerStep(spec.gpt().trainable(params), c.optimizer(),
        c.reward().steps(),
        spec.gpt().kernels());
    RewardTrainer trainer = new RewardTrainer(spec.gpt(), params, optimizer, c.reward().maxLength(),
        spec.tokenizer().padId(), c.runtime().trainShards(), c.runtime().threadsPerModel());
    StepBatches<PreferencePair> batches = new StepBatches<>(train, c.reward().batchSize(),
        c.run().seed());
    TrainingRun.Result r = TrainingRun.run(spec.out(), c, new SingleModelStage(
        spec.gpt(), params, optimizer, spec.tokenizer(), c.reward().steps(),
        c.reward().checkpointEvery(), RewardTrainer.ACCURACY,
        step -> trainer.step(batches.of(step), step)), progress);
    double accuracy = heldOut.isEmpty() ? Double.NaN : trainer.accuracy(heldOut,
        c.reward().batchSize());
    return new Result(r.model(), r.steps(), r.keyMetric(), accuracy, heldOut.size());
  }

  /** A deterministic split: every k-th pair of a seeded shuffle is held out. */
  static <T> void split(List<T> all, double fraction, long seed, List<T> train, List<T> heldOut) {
    int n = all.size();
    // a positive fraction of a set of two or more holds out at least one pair
    int held = (int) Math.floor(n * fraction);
    if (fraction > 0 && n > 1) {
      held = Math.max(1, held);
    }
    int[] order = new StepBatches<>(all, 1, seed ^ 0x5EED).permutationForSplit();
    for (int i = 0; i < n; i++) {
      (i < held ? heldOut : train).add(all.get(order[i]));
    }
    if (train.isEmpty()) {
      throw new IllegalArgumentException("no pairs left to train on after holding out " + held);
    }
  }
}
