package org.rlhf4j.learner;

import java.util.Map;
import java.util.function.LongFunction;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.model.tokenizer.Tokenizer;

/** A {@link TrainingRun.Stage} that trains one model with one optimizer (SFT, reward model, DPO). */
record SingleModelStage(Gpt gpt, ParameterStore params, OptimizerStep optimizer,
    Tokenizer tokenizer, long totalSteps, int checkpointEvery, String keyMetric,
    LongFunction<Map<String, Double>> trainStep) implements TrainingRun.Stage {

  @Override
  public Map<String, Double> step(long step) {
    return trainStep.apply(step);
  }

  @Override
  public Checkpoint.Contents checkpoint(long step) {
    return TrainingRun.contents(gpt, params, optimizer, step, tokenizer.describe());
  }

  @Override
  public void restore(Checkpoint.Contents saved) {
    TrainingRun.restore(params, optimizer, saved);
  }
}
