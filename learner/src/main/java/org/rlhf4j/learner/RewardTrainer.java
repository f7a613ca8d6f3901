package org.rlhf4j.learner;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.rlhf4j.learner.preference.BradleyTerryObjective;
import org.rlhf4j.model.ForwardPass;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.Output;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.TokenBatch;

/**
 * The reward model: a GPT-2 with a scalar head read at the last real token, trained with the
 * Bradley–Terry loss on (chosen, rejected) pairs — TRL's RewardTrainer.
 */
public final class RewardTrainer {
  public static final String LOSS = "train/loss";
  public static final String ACCURACY = "train/accuracy";
  public static final String MARGIN = "train/margin";

  private final Gpt gpt;
  private final ParameterStore params;
  private final ParameterStore grads;
  private final ParameterStore trainable; // what the optimizer updates: a view of params
  private final OptimizerStep optimizer;
  private final int maxLength;
  private final int padId;
  private final ShardedGradient sharded;

  public RewardTrainer(Gpt gpt, ParameterStore params, OptimizerStep optimizer, int maxLength,
      int padId) {
    this(gpt, params, optimizer, maxLength, padId, 1, 1);
  }

  /** A trainer running each batch's passes in {@code shards} shards on their own threads. */
  public RewardTrainer(Gpt gpt, ParameterStore params, OptimizerStep optimizer, int maxLength,
      int padId, int shards, int threadsPerModel) {
    if (!gpt.heads().contains(Head.REWARD)) {
      throw new IllegalArgumentException("a reward model needs the REWARD head");
    }
    this.gpt = gpt;
    this.params = params;
    this.trainable = gpt.trainable(params);
    this.grads = trainable.zerosLike(); // with LoRA: the heads and adapters only
    this.optimizer = optimizer;
    this.maxLength = Math.min(maxLength, gpt.config().contextLength());
    this.padId = padId;
    this.sharded = new ShardedGradient(grads, shards, threadsPerModel);
  }

  /** One update on {@code pairs}; returns its metrics. */
  public Map<String, Double> step(List<PreferencePair> pairs, long step) {
    BradleyTerryObjective.Result r = gradients(pairs, grads);
    OptimizerStep.Outcome outcome = optimizer.apply(trainable, grads, r.loss(), step);
    Map<String, Double> m = new LinkedHashMap<>();
    m.put(LOSS, r.loss());
    m.put(ACCURACY, r.accuracy());
    m.put(MARGIN, r.meanMargin());
    m.put(SftTrainer.LEARNING_RATE, outcome.learningRate());
    m.put(SftTrainer.GRAD_NORM, outcome.gradNorm());
    return m;
  }

  /** One shard's forward pass and its (2P) rewards, chosen first. */
  private record ShardPass(ForwardPass pass, double[] rewards) {}

  /**
   * The Bradley–Terry loss on {@code pairs}, its gradient written into {@code out} (zeroed
   * first): the forward passes in shards, the loss over the whole batch, the backward passes in
   * shards.
   */
  BradleyTerryObjective.Result gradients(List<PreferencePair> pairs, ParameterStore out) {
    List<Supplier<ShardPass>> forwards = new ArrayList<>();
    for (List<PreferencePair> part : sharded.split(pairs)) {
      forwards.add(() -> {
        ForwardPass pass = gpt.forTraining().forward(params, batchOf(part),
            EnumSet.of(Output.REWARDS));
        return new ShardPass(pass, pass.rewards().castTo(DataType.DOUBLE).toDoubleVector());
      });
    }
    List<ShardPass> passes = sharded.map(forwards);
    int p = pairs.size();
    double[] chosen = new double[p];
    double[] rejected = new double[p];
    int at = 0;
    for (ShardPass s : passes) {
      int n = s.rewards().length / 2;
      System.arraycopy(s.rewards(), 0, chosen, at, n);
      System.arraycopy(s.rewards(), n, rejected, at, n);
      at += n;
    }
    double[] margins = pairs.stream().mapToDouble(PreferencePair::margin).toArray();
    BradleyTerryObjective.Result r = BradleyTerryObjective.evaluate(chosen, rejected, margins);
    out.zero();
    List<Function<ParameterStore, Void>> backwards = new ArrayList<>();
    at = 0;
    for (ShardPass s : passes) {
      int n = s.rewards().length / 2;
      double[] drewards = new double[2 * n];
      System.arraycopy(r.gradChosen(), at, drewards, 0, n);
      System.arraycopy(r.gradRejected(), at, drewards, n, n);
      at += n;
      backwards.add(g -> {
        gpt.backward(params, g, s.pass(), null, null,
            Nd4j.createFromArray(drewards).castTo(params.dtype()));
        s.pass().close();
        return null;
      });
    }
    sharded.run(out, backwards);
    return r;
  }

  /** Scores {@code prompt + response} sequences in chunks of {@code batch}. */
  public static double[] score(Gpt gpt, ParameterStore params, List<int[]> prompts,
      List<int[]> responses, int maxLength, int padId, int batch) {
    double[] out = new double[prompts.size()];
    for (int from = 0; from < prompts.size(); from += batch) {
      int to = Math.min(prompts.size(), from + batch);
      List<int[]> seqs = new ArrayList<>();
      for (int i = from; i < to; i++) {
        seqs.add(concat(prompts.get(i), responses.get(i), maxLength));
      }
      double[] r;
      try (ForwardPass pass = gpt.forward(params, TokenBatch.rightPadded(seqs, padId),
          EnumSet.of(Output.REWARDS))) {
        r = pass.rewards().castTo(DataType.DOUBLE).toDoubleVector();
      }
      System.arraycopy(r, 0, out, from, r.length);
    }
    return out;
  }

  /** Fraction of {@code pairs} the model ranks correctly (held-out accuracy). */
  public double accuracy(List<PreferencePair> pairs, int batch) {
    List<int[]> prompts = new ArrayList<>();
    List<int[]> chosen = new ArrayList<>();
    List<int[]> rejected = new ArrayList<>();
    for (PreferencePair p : pairs) {
      prompts.add(p.prompt());
      chosen.add(p.chosen());
      rejected.add(p.rejected());
    }
    double[] c = score(gpt, params, prompts, chosen, maxLength, padId, batch);
    double[] r = score(gpt, params, prompts, rejected, maxLength, padId, batch);
    int correct = 0;
    for (int i = 0; i < c.length; i++) {
      correct += c[i] > r[i] ? 1 : 0;
    }
    return pairs.isEmpty() ? 0 : (double) correct / pairs.size();
  }

  private TokenBatch batchOf(List<PreferencePair> pairs) {
    List<int[]> seqs = new ArrayList<>(2 * pairs.size());
    for (PreferencePair p : pairs) {
      seqs.add(concat(p.prompt(), p.chosen(), maxLength));
    }
    for (PreferencePair p : pairs) {
      seqs.add(concat(p.prompt(), p.rejected(), maxLength));
    }
    return TokenBatch.rightPadded(seqs, padId);
  }

  static int[] concat(int[] prompt, int[] response, int maxLength) {
    int length = Math.min(prompt.length + response.length, maxLength);
    int[] seq = new int[length];
    int p = Math.min(prompt.length, length);
    System.arraycopy(prompt, 0, seq, 0, p);
    System.arraycopy(response, 0, seq, p, length - p);
    return seq;
  }
}
