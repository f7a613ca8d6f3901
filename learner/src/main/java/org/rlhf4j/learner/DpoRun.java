package org.rlhf4j.learner;

import java.io.IOException;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.DpoConfig;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.preference.DpoLoss;
import org.rlhf4j.learner.preference.DpoObjective;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.tokenizer.Tokenizer;

/**
 * A DPO run: the policy starts from {@code initial} and the frozen reference is a copy of it
 * (TRL's default), inside the {@link TrainingRun} loop.
 */
public final class DpoRun {
  /** What to train, and the run directory the caller has claimed for it. */
  public record Spec(RlhfConfig config, Gpt gpt, ParameterStore initial, Tokenizer tokenizer,
      List<PreferencePair> pairs, RunDirectory out) {}

  private DpoRun() {}

  /** The objective {@code rlhf4j.dpo} describes. */
  public static DpoObjective objective(DpoConfig c) {
    DpoLoss loss = DpoLoss.valueOf(c.loss().toUpperCase(java.util.Locale.ROOT));
    return new DpoObjective(loss, c.beta(), loss.usesLabelSmoothing() ? c.labelSmoothing() : 0);
  }

  public static TrainingRun.Result run(Spec spec, ProgressListener progress) throws IOException {
    RlhfConfig c = spec.config();
    ParameterStore policy = spec.initial().copy(DataType.FLOAT);
    // with LoRA the reference is the policy's own base (adapters off): one model in memory, not two
    ParameterStore reference = spec.gpt().lora().isPresent() ? policy
        : spec.initial().copy(DataType.FLOAT);
    OptimizerStep optimizer = new OptimizerStep(spec.gpt().trainable(policy), c.optimizer(),
        c.dpo().steps(),
        spec.gpt().kernels());
    DpoTrainer trainer = new DpoTrainer(spec.gpt(), policy, reference, optimizer,
        objective(c.dpo()), c.dpo().maxLength(), spec.tokenizer().padId(),
        c.dpo().precomputeReference(), c.dpo().rpoAlpha(), c.runtime().trainShards(),
        c.runtime().threadsPerModel());
    StepBatches<PreferencePair> batches = new StepBatches<>(spec.pairs(), c.dpo().batchSize(),
        c.run().seed());
    return TrainingRun.run(spec.out(), c, new SingleModelStage(spec.gpt(), policy,
        optimizer, spec.tokenizer(), c.dpo().steps(), c.dpo().checkpointEvery(), DpoTrainer.LOSS,
        step -> trainer.step(batches.of(step), step)), progress);
  }
}
