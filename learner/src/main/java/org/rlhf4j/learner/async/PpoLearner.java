package org.rlhf4j.learner.async;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.rlhf4j.config.PpoConfig;
import org.rlhf4j.learner.CriticThread;
import org.rlhf4j.learner.OptimizerStep;
import org.rlhf4j.learner.PpoUpdate;
import org.rlhf4j.learner.ResponseBatch;
import org.rlhf4j.learner.rl.BatchShape;
import org.rlhf4j.learner.rl.KlController;
import org.rlhf4j.learner.rl.KlEstimator;
import org.rlhf4j.learner.rl.PpoMetrics;
import org.rlhf4j.learner.rl.PpoObjective;
import org.rlhf4j.learner.rl.TokenRewards;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.PolicyEvaluation;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.protocol.pb.FinishReason;
import org.rlhf4j.protocol.pb.LearnerState;
import org.rlhf4j.protocol.pb.Rollout;
import org.rlhf4j.protocol.pb.ScoredRollout;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SnapshotSpares;

/**
 * The learner of asynchronous PPO (DESIGN.md, "Data flow"), one scored rollout at a time: it
 * de-duplicates by rollout id, drops rollouts more than {@code maxLag} policy versions old, and
 * once {@code batch-size} rollouts are admitted runs one PPO update round on them (values from the
 * critic, per-token KL penalty against the reference log-probs the message carries, GAE or
 * GRPO/RLOO, epochs × minibatches of the clipped objective), which makes the next policy version.
 * For GRPO with {@code grpo.kl-in = loss} (TRL's) the KL is a term of the loss instead, between
 * the policy being trained and the reference log-probs of the message.
 *
 * <p>Rollouts sampled by an older version are off-policy. With {@code rlhf4j.ppo.decoupled} the
 * round uses the decoupled objective (AReaL): the proximal policy is the current one, evaluated
 * once before the round's first update, and the behaviour log-probs of the message weight each
 * token by {@code min(π_prox/π_behaviour, importance-cap)}; a rollout of the current version has
 * π_prox = π_behaviour, weight exactly 1. Without it the ratio is taken against the behaviour
 * log-probs, as in synchronous PPO.
 *
 * <p>With GRPO/RLOO, rollouts are grouped by prompt id: a group joins the batch once
 * {@code group-size} of its rollouts are admitted, so {@code batch-size} must be a multiple of
 * {@code group-size}. After each round, members of incomplete groups that have fallen more than
 * {@code maxLag} behind are dropped as stale.
 *
 * <p>With LoRA adapters on the policy (and the critic), only their heads and adapters train
 * ({@code Gpt.trainable}); the body is never written, so the reference may read it in place
 * ({@link ReferencePolicy}), and {@link #snapshot()} hands workers the merged weights.
 *
 * <p>Deterministic: weights, ledger and metrics depend only on the initial weights (policy, critic
 * and optimizer state), the configuration, the seed and the sequence of offered messages, so a
 * message log replays bit for bit ({@link Replay}). Not thread-safe; an actor owns it. A
 * {@link org.rlhf4j.learner.TrainingDivergedException} thrown by a round leaves it unusable.
 */
public final class PpoLearner {
  /** Mean policy lag (learner version − rollout version) of the round's rollouts. */
  public static final String LAG_AVG = "async/lag_avg";
  /** Largest policy lag in the round. */
  public static final String LAG_MAX = "async/lag_max";
  /** Fraction of the round's rollouts sampled by an older policy version. */
  public static final String OFF_POLICY_FRAC = "async/off_policy_frac";
  /** The policy version the round produced. */
  public static final String VERSION = "async/version";
  /**
   * The epoch in which early stopping ended the round: the first minibatch update whose
   * approximate KL (measured before its step) exceeded {@code early-stop-kl}; absent otherwise.
   */
  public static final String EARLY_STOP_EPOCH = "policy/early_stop_epoch";

  /**
   * The trained models; {@code criticModel} and {@code critic} are null for GRPO/RLOO or when the
   * critic is a value head on the policy.
   */
  public record Models(Gpt policyModel, ParameterStore policy, Gpt criticModel,
      ParameterStore critic) {

    /** Checks that the policy is given, and the critic as model and weights or not at all. */
    public Models {
      if (policyModel == null || policy == null) {
        throw new IllegalArgumentException("the policy model and its weights must be given");
      }
      if ((criticModel == null) != (critic == null)) {
        throw new IllegalArgumentException(
            "give the critic's model and weights together, or neither");
      }
    }
  }

  /**
   * What the learner needs beyond {@link PpoConfig}.
   *
   * @param maxLag the oldest admitted rollout is {@code maxLag} versions behind the learner (0:
   *     on-policy only)
   * @param seed shuffles the rows into minibatches each epoch (as TRL does), from (seed,
   *     version) so a round depends only on where it happens
   * @param padId the padding token of the batches the models see
   */
  public record Settings(int maxLag, long seed, int padId) {

    /** Checks the ranges. */
    public Settings {
      if (maxLag < 0) {
        throw new IllegalArgumentException("max-lag must be >= 0 versions, got " + maxLag);
      }
      if (padId < 0) {
        throw new IllegalArgumentException("pad id must be >= 0, got " + padId);
      }
    }
  }

  /** What {@link #offer} did with a message. */
  public enum Outcome {
    /** Admitted; waiting for its batch (or GRPO/RLOO group) to fill. */
    BUFFERED,
    /** Admitted and it filled the batch: an update round ran and the version went up by one. */
    TRAINED,
    /** Its rollout id had been received before; ignored. */
    DUPLICATE,
    /** Sampled more than max-lag versions ago; dropped. */
    STALE,
    /** Malformed ({@link #defect}); ignored. */
    REJECTED
  }

  private final Models m;
  private final PpoConfig config;
  private final Settings settings;
  private final KlController kl;
  private final TokenRewards tokenRewards;
  private final PpoUpdate step;
  private final boolean grouped;
  private final boolean klInLoss;
  private final boolean valueHead;
  // one freed snapshot's copy, what the next snapshot is copied into
  private final SnapshotSpares spares = new SnapshotSpares(1);
  private boolean reuseRoundStart = true;
  private int criticThreads; // 0: the critic's passes run in turn with the policy's
  private final Set<Long> seen = new HashSet<>(); // every id received: grows by one per rollout
  private final List<ScoredRollout> batch = new ArrayList<>();
  private final Map<Long, List<ScoredRollout>> groups = new LinkedHashMap<>(); // by prompt id
  private long version;
  private long updates;
  private long received;
  private long trained;
  private long droppedStale;
  private long duplicates;
  private long rejected;
  private Map<String, Double> lastRound = Map.of();

  /**
   * A learner at policy version 0.
   *
   * @param criticOptimizer the separate critic's optimizer, or null without one
   */
  public PpoLearner(Models models, PpoConfig config, Settings settings,
      OptimizerStep policyOptimizer, OptimizerStep criticOptimizer) {
    this.m = models;
    this.config = config;
    this.settings = settings;
    this.grouped = !config.advantage().equals("gae");
    this.klInLoss = PpoUpdate.klInLoss(config);
    this.valueHead = !grouped && models.critic() == null;
    if (grouped && config.batchSize() % config.groupSize() != 0) {
      throw new IllegalArgumentException("batch-size (" + config.batchSize()
          + ") must be a multiple of group-size (" + config.groupSize() + ") for "
          + config.advantage());
    }
    if (valueHead && !models.policyModel().heads().contains(Head.VALUE)) {
      throw new IllegalArgumentException("GAE needs a critic: give a separate critic or a policy "
          + "model with a VALUE head; the policy has " + models.policyModel().heads());
    }
    boolean separateCritic = !grouped && !valueHead;
    if (separateCritic && criticOptimizer == null) {
      throw new IllegalArgumentException("a separate critic needs its own optimizer");
    }
    this.kl = config.adaptiveKl()
        ? KlController.adaptive(config.klCoef(), config.targetKl(), config.klHorizon())
        : KlController.fixed(config.klCoef());
    this.tokenRewards = new TokenRewards(
        KlEstimator.valueOf(config.klEstimator().toUpperCase(Locale.ROOT)),
        config.missingEosPenalty(), config.whitenRewards());
    requireTrainable("policy", models.policyModel(), policyOptimizer);
    if (separateCritic) {
      requireTrainable("critic", models.criticModel(), criticOptimizer);
    }
    // with LoRA the gradients and the optimizer cover the heads and adapters only; the base is
    // frozen, never written, so a reference reading it (withoutAdapters) needs no copy of it
    this.step = new PpoUpdate(PpoUpdate.objective(config),
        models.policyModel().trainable(models.policy()), policyOptimizer,
        separateCritic ? models.criticModel().trainable(models.critic()) : null,
        separateCritic ? criticOptimizer : null);
  }

  /** The optimizer must hold moments for exactly {@code model.trainable(...)}. */
  private static void requireTrainable(String role, Gpt model, OptimizerStep optimizer) {
    if (!optimizer.adamw().firstMoments().layout().equals(model.trainableLayout())) {
      throw new IllegalArgumentException("the " + role + "'s optimizer must cover "
          + "gpt.trainable(params) (with LoRA, the heads and adapters only)");
    }
  }

  /**
   * Takes one scored rollout. In order: a malformed message is {@link Outcome#REJECTED}; a
   * rollout id received before is a {@link Outcome#DUPLICATE}; a rollout more than max-lag
   * versions behind is {@link Outcome#STALE}; anything else is admitted and, when it fills the
   * batch, trained on at once.
   */
  public Outcome offer(ScoredRollout message) {
    received++;
    if (defect(message).isPresent()) {
      rejected++;
      return Outcome.REJECTED;
    }
    Rollout r = message.getRollout();
    if (!seen.add(r.getRolloutId())) {
      duplicates++;
      return Outcome.DUPLICATE;
    }
    if (lag(r) > settings.maxLag()) {
      droppedStale++;
      return Outcome.STALE;
    }
    if (grouped) {
      List<ScoredRollout> group = groups.computeIfAbsent(r.getPromptId(), id -> new ArrayList<>());
      group.add(message);
      if (group.size() == config.groupSize()) {
        groups.remove(r.getPromptId());
        batch.addAll(group);
      }
    } else {
      batch.add(message);
    }
    if (batch.size() < config.batchSize()) {
      return Outcome.BUFFERED;
    }
    // Arrival order depends on thread timing; training in rollout-id order makes a synchronous
    // run (max-lag 0, credits = batch size) give the same weights for the same seed every time.
    List<ScoredRollout> rows = batch.stream()
        .sorted(Comparator.comparingLong(m -> m.getRollout().getRolloutId())).toList();
    batch.clear();
    lastRound = Collections.unmodifiableMap(round(rows));
    trained += rows.size();
    version++;
    dropStaleGroupMembers();
    return Outcome.TRAINED;
  }

  /**
   * Why {@link #offer} would reject {@code message}, or empty if it is well formed: it needs a
   * rollout with a non-empty prompt and response, token ids inside the vocabulary, prompt +
   * response within the policy's context, one finite behaviour and one finite reference log-prob
   * per response token, a finite score, and a policy version no newer than the learner's.
   */
  public Optional<String> defect(ScoredRollout message) {
    if (!message.hasRollout()) {
      return Optional.of("scored rollout without a rollout");
    }
    Rollout r = message.getRollout();
    String id = "rollout " + r.getRolloutId() + ": ";
    int p = r.getPromptIdsCount();
    int s = r.getResponseIdsCount();
    int context = m.policyModel().config().contextLength();
    int vocab = m.policyModel().config().vocabSize();
    if (p == 0 || s == 0) {
      return Optional.of(id + "empty prompt or response (" + p + " and " + s + " tokens)");
    }
    if (p + s > context) {
      return Optional.of(id + p + " prompt + " + s + " response tokens exceed the context length "
          + context);
    }
    for (int t : r.getPromptIdsList()) {
      if (t < 0 || t >= vocab) {
        return Optional.of(id + "prompt token " + t + " outside the vocabulary of " + vocab);
      }
    }
    for (int t : r.getResponseIdsList()) {
      if (t < 0 || t >= vocab) {
        return Optional.of(id + "response token " + t + " outside the vocabulary of " + vocab);
      }
    }
    if (r.getBehaviourLogprobsCount() != s || message.getReferenceLogprobsCount() != s) {
      return Optional.of(id + r.getBehaviourLogprobsCount() + " behaviour and "
          + message.getReferenceLogprobsCount() + " reference log-probs for " + s
          + " response tokens");
    }
    for (int k = 0; k < s; k++) {
      if (!Float.isFinite(r.getBehaviourLogprobs(k))
          || !Float.isFinite(message.getReferenceLogprobs(k))) {
        return Optional.of(id + "non-finite log-prob at response token " + k);
      }
    }
    if (!Float.isFinite(message.getScore())) {
      return Optional.of(id + "non-finite score " + message.getScore());
    }
    if (r.getPolicyVersion() > version) {
      return Optional.of(id + "policy version " + r.getPolicyVersion()
          + " is newer than the learner's " + version);
    }
    return Optional.empty();
  }

  /**
   * Makes every round evaluate its start apart from its first update, as rounds of several
   * minibatches must: for the test that both give the same weights.
   */
  void evaluateRoundStartApart() {
    reuseRoundStart = false;
  }

  /**
   * Binds the calling thread to {@code threads} tensor threads for the policy's passes; a
   * separate critic, another model copy, gets as many of its own on {@link CriticThread}, where
   * each update's critic forward, backward and optimizer step run beside the policy's (the same
   * weights as one after the other). With several minibatches the old values' pass at a round's
   * start still runs on the calling thread.
   */
  public void useThreads(int threads) {
    TensorThreads.bindCurrentThread(threads);
    criticThreads = grouped || valueHead ? 0 : threads;
    step.criticAlongside(criticThreads);
  }

  /** The models and weights this learner trains. */
  Models models() {
    return m;
  }

  /** The current policy version: the number of update rounds so far. */
  public long version() {
    return version;
  }

  /** The live policy weights (read them, do not write them; they change on the next round). */
  public ParameterStore policyParams() {
    return m.policy();
  }

  /**
   * A frozen copy of the current policy at {@link #version()}, for rollout workers, made in the
   * memory of the last snapshot freed when there is one ({@link SnapshotSpares}). With LoRA
   * it is the merged model (adapters folded into their layers: sampling costs nothing extra per
   * token) and carries a copy of the trainable tensors, what a rollout node merges onto the base
   * it already holds.
   */
  public PolicySnapshot snapshot() {
    Gpt gpt = m.policyModel();
    if (gpt.lora().isEmpty()) {
      return PolicySnapshot.freeze(gpt, m.policy(), version, spares);
    }
    return PolicySnapshot.ofMergedCopies(gpt.base(), gpt.merged(m.policy()), version,
        gpt.trainable(m.policy()).copy());
  }

  /** The live weights of the separate critic, or null without one. */
  public ParameterStore criticParams() {
    return m.critic();
  }

  /** The policy's optimizer (its moments go into a resumable checkpoint). */
  public OptimizerStep policyOptimizer() {
    return step.policyOptimizer();
  }

  /** The separate critic's optimizer, or null without one. */
  public OptimizerStep criticOptimizer() {
    return step.criticOptimizer();
  }

  /**
   * Everything beyond the weights and optimizer moments that later rounds depend on: version,
   * update count, KL coefficient, ledger counts, the rollout ids received and the admitted
   * rollouts still waiting. The log fields are left for the caller.
   */
  public LearnerState state() {
    LearnerState.Builder b = LearnerState.newBuilder()
        .setVersion(version).setUpdates(updates).setKlCoef(kl.value())
        .setReceived(received).setTrained(trained).setDroppedStale(droppedStale)
        .setDuplicates(duplicates).setRejected(rejected)
        .addAllSeenRolloutIds(seen.stream().sorted().toList())
        .addAllBatch(batch)
        .setPolicySha256(m.policy().sha256());
    groups.values().forEach(b::addAllGrouped);
    for (OptimizerStep o : new OptimizerStep[] {policyOptimizer(), criticOptimizer()}) {
      if (o != null) {
        b.addBadInARow(o.badInARow()).addSkipped(o.skipped());
      }
    }
    return b.build();
  }

  /**
   * Puts back a {@link #state()} into a learner just built at version 0 whose weights and
   * optimizer moments the caller has already restored; the rounds that follow are those the saved
   * learner would have run.
   */
  public void restore(LearnerState s) {
    if (version != 0 || received != 0) {
      throw new IllegalStateException("restore needs a fresh learner; this one is at version "
          + version + " with " + received + " messages received");
    }
    version = s.getVersion();
    updates = s.getUpdates();
    kl.reset(s.getKlCoef());
    received = s.getReceived();
    trained = s.getTrained();
    droppedStale = s.getDroppedStale();
    duplicates = s.getDuplicates();
    rejected = s.getRejected();
    seen.addAll(s.getSeenRolloutIdsList());
    batch.addAll(s.getBatchList());
    for (ScoredRollout r : s.getGroupedList()) {
      groups.computeIfAbsent(r.getRollout().getPromptId(), id -> new ArrayList<>()).add(r);
    }
    OptimizerStep[] optimizers = {policyOptimizer(), criticOptimizer()};
    for (int i = 0, k = 0; i < optimizers.length; i++) {
      if (optimizers[i] != null && k < s.getBadInARowCount()) {
        optimizers[i].restoreCounts(s.getBadInARow(k), s.getSkipped(k));
        k++;
      }
    }
    ledger(); // checks that the restored counts add up
  }

  /** The counts so far. */
  public Ledger ledger() {
    long pending = batch.size();
    for (List<ScoredRollout> g : groups.values()) {
      pending += g.size();
    }
    return new Ledger(received, trained, droppedStale, duplicates, rejected, pending);
  }

  /** The metrics of the last update round ({@link PpoMetrics} names and this class's), or empty. */
  public Map<String, Double> lastRound() {
    return lastRound;
  }

  /** The current KL coefficient (it moves under the adaptive controller). */
  public double klCoef() {
    return kl.value();
  }

  private long lag(Rollout r) {
    return version - r.getPolicyVersion();
  }

  private void dropStaleGroupMembers() {
    Iterator<List<ScoredRollout>> it = groups.values().iterator();
    while (it.hasNext()) {
      List<ScoredRollout> g = it.next();
      int before = g.size();
      g.removeIf(x -> lag(x.getRollout()) > settings.maxLag());
      droppedStale += before - g.size();
      if (g.isEmpty()) {
        it.remove();
      }
    }
  }

  /**
   * One PPO update round on {@code rows}: values, per-token KL penalty, advantages, then epochs ×
   * minibatches of clipped updates.
   */
  private Map<String, Double> round(List<ScoredRollout> rows) {
    // 1. the batch: prompt + response tokens, and what the messages carry
    int b = rows.size();
    List<int[]> promptIds = new ArrayList<>(b);
    List<int[]> responseIds = new ArrayList<>(b);
    int t = 1;
    for (ScoredRollout sr : rows) {
      Rollout r = sr.getRollout();
      promptIds.add(r.getPromptIdsList().stream().mapToInt(Integer::intValue).toArray());
      responseIds.add(r.getResponseIdsList().stream().mapToInt(Integer::intValue).toArray());
      t = Math.max(t, r.getResponseIdsCount());
    }
    ResponseBatch tokens = ResponseBatch.of(promptIds, responseIds,
        m.policyModel().config().contextLength(), settings.padId());
    BatchShape shape = new BatchShape(b, t);
    double[] mask = tokens.responseMask(t); // (B·T)
    double[] logpBehaviour = new double[b * t]; // (B·T)
    double[] logpRef = new double[b * t]; // (B·T)
    double[] scores = new double[b]; // (B)
    boolean[] endedWithEos = new boolean[b];
    long[] lags = new long[b];
    for (int i = 0; i < b; i++) {
      ScoredRollout sr = rows.get(i);
      Rollout r = sr.getRollout();
      for (int k = 0; k < r.getResponseIdsCount(); k++) {
        logpBehaviour[i * t + k] = r.getBehaviourLogprobs(k);
        logpRef[i * t + k] = sr.getReferenceLogprobs(k);
      }
      scores[i] = sr.getScore();
      endedWithEos[i] = r.getFinishReason() == FinishReason.FINISH_REASON_STOP_TOKEN;
      lags[i] = lag(r);
    }

    // 2. where the round starts: with one minibatch, the first update evaluates this very batch
    //    with these weights, so its evaluations are made now and give the proximal log-probs and
    //    old values too (the same numbers; no separate pass for the critic's old values, nor for
    //    the policy's proximal log-probs when rows are stale)
    Evaluations start = config.minibatches() == 1 && reuseRoundStart
        ? evaluate(tokens) : null;
    PpoObjective.Result last = null;
    Map<String, Double> metrics = new LinkedHashMap<>();
    TokenRewards.Totals totals;
    try {
      // 3. proximal log-probs: the current policy's, before any update (decoupled only); then
      //    old values from the critic
      double[] logpProx = config.decoupled() ? proximal(tokens, t, logpBehaviour, lags, start)
          : null;
      double[] valuesOld = grouped ? null : start != null ? start.values(t)
          : tokens.toResponseLayout(criticValues(tokens), t); // (B·T)

      // 4. per-token rewards with the KL penalty, then advantages; the KL is taken between the
      //    behaviour and reference log-probs (for an on-policy rollout, the current policy's). The
      //    grouped estimators read sequence scores, so the missing-EOS penalty goes into those too.
      double[] rewards = new double[b * t];
      double[] nonScore = new double[b];
      totals = tokenRewards.compute(rewards, nonScore, shape, logpBehaviour,
          logpRef, scores, endedWithEos, mask, kl.value());
      double[] penalisedScores = new double[b]; // (B)
      tokenRewards.penalisedScores(penalisedScores, scores, endedWithEos);
      PpoUpdate.Advantages estimated = PpoUpdate.advantages(config, shape, rewards, nonScore,
          penalisedScores, valuesOld, mask);
      double[] advantages = estimated.advantages();
      double[] returns = estimated.returns();

      // 5. epochs × minibatches of PPO updates, rows shuffled per epoch from (seed, version)
      SplittableRandom rng = new SplittableRandom(settings.seed() * 1_000_003L + version);
      int[] order = new int[b];
      for (int i = 0; i < b; i++) {
        order[i] = i;
      }
      int perMinibatch = b / config.minibatches();
      outer:
      for (int epoch = 0; epoch < config.epochs(); epoch++) {
        shuffle(order, rng);
        for (int mb = 0; mb < config.minibatches(); mb++) {
          int[] idx = Arrays.copyOfRange(order, mb * perMinibatch, (mb + 1) * perMinibatch);
          Arrays.sort(idx); // rows keep batch order inside a minibatch
          Evaluations e = start != null ? start : evaluate(ResponseBatch.of(pick(promptIds, idx),
              pick(responseIds, idx), m.policyModel().config().contextLength(),
              settings.padId()));
          start = null; // its backward runs once, in this update
          try {
            last = update(idx, e, t, logpBehaviour, logpProx, logpRef, advantages, valuesOld,
                returns, mask);
          } finally {
            e.close();
          }
          if (config.earlyStopKl() > 0 && last.approxKl() > config.earlyStopKl()) {
            metrics.put(EARLY_STOP_EPOCH, (double) epoch);
            break outer;
          }
        }
      }
    } finally {
      if (start != null) {
        start.close(); // a failure before the first update
      }
    }
    kl.update(totals.kl(), b);

    // 6. metrics: TRL's names, then the asynchronous ones
    metrics.put(PpoMetrics.OBJECTIVE_KL, totals.kl());
    metrics.put(PpoMetrics.OBJECTIVE_SCORES, totals.score());
    metrics.put(PpoMetrics.OBJECTIVE_NON_SCORE_REWARD, totals.nonScoreReward());
    metrics.put(PpoMetrics.OBJECTIVE_RLHF_REWARD, totals.rlhfReward());
    metrics.putAll(last.metrics());
    // without an entropy bonus the exact entropy is not computed: estimate it from the samples
    metrics.putIfAbsent(PpoMetrics.OBJECTIVE_ENTROPY, PpoMetrics.sampledEntropy(logpBehaviour,
        mask));
    metrics.put(PpoMetrics.OBJECTIVE_KL_COEF, kl.value());
    double eos = 0;
    double length = 0;
    double lagSum = 0;
    long lagMax = 0;
    int offPolicy = 0;
    for (int i = 0; i < b; i++) {
      eos += endedWithEos[i] ? 1 : 0;
      length += responseIds.get(i).length;
      lagSum += lags[i];
      lagMax = Math.max(lagMax, lags[i]);
      offPolicy += lags[i] > 0 ? 1 : 0;
    }
    metrics.put("val/num_eos_tokens", eos);
    metrics.put("val/response_length", length / b);
    metrics.put(LAG_AVG, lagSum / b);
    metrics.put(LAG_MAX, (double) lagMax);
    metrics.put(OFF_POLICY_FRAC, (double) offPolicy / b);
    metrics.put(VERSION, (double) (version + 1));
    return metrics;
  }

  /**
   * π_prox per token: the behaviour log-probs for rollouts of the current version (the same
   * policy, so the weight is exactly 1), the current policy's for older ones, read from
   * {@code start} (the round's first evaluation, of these rows) when given.
   */
  private double[] proximal(ResponseBatch tokens, int t, double[] logpBehaviour, long[] lags,
      Evaluations start) {
    double[] prox = logpBehaviour.clone();
    if (Arrays.stream(lags).allMatch(l -> l == 0)) {
      return prox;
    }
    double[] current = tokens.toResponseLayout(start != null ? start.policy().logprobs()
        : PolicyEvaluation.logprobsOf(m.policyModel(), m.policy(), tokens.tokens(),
            tokens.targets(), config.temperature()), t);
    for (int i = 0; i < lags.length; i++) {
      if (lags[i] > 0) {
        System.arraycopy(current, i * t, prox, i * t, t);
      }
    }
    return prox;
  }

  /** The current policy's (and separate critic's) evaluation of a minibatch, with its backward. */
  private record Evaluations(ResponseBatch rows, PolicyEvaluation policy,
      PolicyEvaluation critic, boolean valueHead) implements AutoCloseable {
    /** The critic's values laid out (b, t) over the responses. */
    double[] values(int t) {
      return rows.toResponseLayout((valueHead ? policy : critic).values(), t);
    }

    @Override
    public void close() {
      policy.close();
      if (critic != null) {
        critic.close();
      }
    }
  }

  private Evaluations evaluate(ResponseBatch mb) {
    Supplier<PolicyEvaluation> criticForward = grouped || valueHead ? null
        : () -> PolicyEvaluation.valuesOnly(m.criticModel(), m.critic(), mb.tokens());
    CompletableFuture<PolicyEvaluation> critic = criticForward != null && criticThreads > 0
        ? CriticThread.start(criticThreads, criticForward) : null;
    PolicyEvaluation policyEval;
    try {
      // no adapter dropout (TRL's disable_dropout): the first minibatch's ratios then start at 1
      policyEval = PolicyEvaluation.of(m.policyModel(), m.policy(), mb.tokens(), mb.targets(),
          config.temperature(), config.entropyCoef() > 0, valueHead);
    } catch (RuntimeException | Error e) {
      if (critic != null) {
        CriticThread.await(critic.thenAccept(PolicyEvaluation::close));
      }
      throw e;
    }
    try {
      PolicyEvaluation criticEval = critic != null ? CriticThread.join(critic)
          : criticForward != null ? criticForward.get() : null;
      return new Evaluations(mb, policyEval, criticEval, valueHead);
    } catch (RuntimeException | Error e) {
      policyEval.close();
      throw e;
    }
  }

  /**
   * One minibatch update on rows {@code idx} of the batch, evaluated in {@code e}: the objective
   * against the behaviour (or proximal) log-probs and, with the KL in the loss, the reference's,
   * one optimizer step.
   */
  private PpoObjective.Result update(int[] idx, Evaluations e, int t, double[] logpOld,
      double[] logpProx, double[] logpRef, double[] advantages, double[] valuesOld,
      double[] returns, double[] mask) {
    BatchShape shape = new BatchShape(idx.length, t);
    boolean entropy = config.entropyCoef() > 0;
    ResponseBatch mb = e.rows();
    PpoObjective.Batch batch = new PpoObjective.Batch(shape,
        mb.toResponseLayout(e.policy().logprobs(), t), rows(logpOld, idx, t),
        logpProx == null ? null : rows(logpProx, idx, t), rows(advantages, idx, t),
        grouped ? null : e.values(t), grouped ? null : rows(valuesOld, idx, t),
        grouped ? null : rows(returns, idx, t),
        entropy ? mb.toResponseLayout(e.policy().entropies(), t) : null, rows(mask, idx, t),
        klInLoss ? rows(logpRef, idx, t) : null, klInLoss ? kl.value() : 0.0);
    return step.apply(batch, mb, e.policy(), e.critic(), valueHead, updates++);
  }

  private double[] criticValues(ResponseBatch tokens) {
    return valueHead ? PolicyEvaluation.valuesOf(m.policyModel(), m.policy(), tokens.tokens())
        : PolicyEvaluation.valuesOf(m.criticModel(), m.critic(), tokens.tokens());
  }

  /** Fisher–Yates. */
  private static void shuffle(int[] a, SplittableRandom rng) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int x = a[i];
      a[i] = a[j];
      a[j] = x;
    }
  }

  private static List<int[]> pick(List<int[]> all, int[] idx) {
    List<int[]> out = new ArrayList<>(idx.length);
    for (int i : idx) {
      out.add(all.get(i));
    }
    return out;
  }

  /** Rows {@code idx} of a (B, T) array, as a (b, T) array. */
  private static double[] rows(double[] a, int[] idx, int t) {
    double[] out = new double[idx.length * t];
    for (int j = 0; j < idx.length; j++) {
      System.arraycopy(a, idx[j] * t, out, j * t, t);
    }
    return out;
  }
}
