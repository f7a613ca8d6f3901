package org.rlhf4j.learner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.rlhf4j.config.SftConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.LanguageModelLoss;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.TokenBatch;

/**
 * Supervised fine-tuning: next-token cross-entropy on completion tokens (the prompt masked, as
 * TRL's completion-only loss) or on whole sequences. Batches are a deterministic function of the
 * step number, so a resumed run sees exactly the batches an uninterrupted one would.
 */
public final class SftTrainer {
  /** A tokenized example; the completion should end with the EOS token so the model learns to stop. */
  public record Example(int[] prompt, int[] completion) {}

  /** Metric names (TRL's where it has one). */
  public static final String LOSS = "train/loss";
  public static final String TOKENS = "train/num_tokens";
  public static final String LEARNING_RATE = "train/learning_rate";
  public static final String GRAD_NORM = "train/grad_norm";
  public static final String SKIPPED = "train/skipped_steps";

  private final Gpt gpt;
  private final ParameterStore params;
  private final ParameterStore grads;
  private final ParameterStore trainable; // what the optimizer updates: a view of params
  private final OptimizerStep optimizer;
  private final SftConfig config;
  private final StepBatches<Example> batches;
  private final int maxLength;
  private final int padId;
  private final ShardedGradient sharded;

  public SftTrainer(Gpt gpt, ParameterStore params, OptimizerStep optimizer, SftConfig config,
      List<Example> data, long seed, int padId) {
    this(gpt, params, optimizer, config, data, seed, padId, 1, 1);
  }

  /** A trainer computing each batch's gradient in {@code shards} shards on their own threads. */
  public SftTrainer(Gpt gpt, ParameterStore params, OptimizerStep optimizer, SftConfig config,
      List<Example> data, long seed, int padId, int shards, int threadsPerModel) {
    this.gpt = gpt.forTraining();
    this.params = params;
    this.trainable = gpt.trainable(params);
    this.grads = trainable.zerosLike(); // with LoRA: the heads and adapters only
    this.optimizer = optimizer;
    this.config = config;
    this.maxLength = Math.min(config.maxLength(), gpt.config().contextLength());
    this.batches = config.groupByLength()
        ? StepBatches.groupedByLength(data, config.batchSize(), seed,
            e -> Math.min(maxLength, e.prompt().length + e.completion().length))
        : new StepBatches<>(data, config.batchSize(), seed);
    this.padId = padId;
    this.sharded = new ShardedGradient(grads, shards, threadsPerModel);
  }

  /** Trains on the batch of step {@code step} (0-based) and returns its metrics. */
  public Map<String, Double> step(long step) {
    grads.zero();
    // the batch's loss is the mean over all its target tokens: shard i's mean weighs
    // (its tokens / all tokens), known before any forward pass
    List<Shard> shards = sharded.split(batchOf(step)).stream().map(this::shardOf).toList();
    int tokens = shards.stream().mapToInt(Shard::tokens).sum();
    List<Function<ParameterStore, Double>> work = new ArrayList<>();
    for (Shard shard : shards) {
      double weight = tokens == 0 ? 0.0 : (double) shard.tokens() / tokens;
      work.add(g -> {
        try (LanguageModelLoss loss = LanguageModelLoss.mean(gpt, params, shard.batch(),
            shard.targets())) {
          loss.backward(g, weight);
          return weight * loss.loss();
        }
      });
    }
    double loss = sharded.run(grads, work).stream().mapToDouble(Double::doubleValue).sum();
    OptimizerStep.Outcome outcome = optimizer.apply(trainable, grads, loss, step);
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put(LOSS, loss);
    metrics.put(TOKENS, (double) tokens);
    metrics.put(LEARNING_RATE, outcome.learningRate());
    metrics.put(GRAD_NORM, outcome.gradNorm());
    metrics.put(SKIPPED, (double) optimizer.skipped());
    return metrics;
  }

  /** Part of a batch: its tokens, its targets and how many of them count. */
  private record Shard(TokenBatch batch, int[] targets, int tokens) {}

  /** {@code examples} as a shard, each cut to the maximum length. */
  private Shard shardOf(List<Example> examples) {
    List<int[]> sequences = new ArrayList<>(examples.size());
    List<Integer> promptLengths = new ArrayList<>(examples.size());
    for (Example e : examples) {
      sequences.add(RewardTrainer.concat(e.prompt(), e.completion(), maxLength));
      promptLengths.add(e.prompt().length);
    }
    TokenBatch tokens = TokenBatch.rightPadded(sequences, padId);
    int[] targets = targets(tokens, promptLengths);
    return new Shard(tokens, targets, (int) Arrays.stream(targets).filter(t -> t >= 0)
        .count());
  }

  /** The batch of step {@code step}. */
  List<Example> batchOf(long step) {
    return batches.of(step);
  }

  private int[] targets(TokenBatch tokens, List<Integer> promptLengths) {
    int t = tokens.length();
    int[] targets = new int[tokens.rows()];
    for (int b = 0; b < tokens.batch(); b++) {
      for (int i = 0; i < t; i++) {
        int n = b * t + i;
        boolean hasNext = i + 1 < t && tokens.mask()[n + 1] == 1;
        // predicting token i+1 counts when i+1 is a completion token (or always, for full text)
        boolean counts = !config.completionOnly() || i + 1 >= promptLengths.get(b);
        targets[n] = hasNext && counts ? tokens.ids()[n + 1] : -1;
      }
    }
    return targets;
  }
}
