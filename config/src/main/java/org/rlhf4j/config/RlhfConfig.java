package org.rlhf4j.config;

import com.typesafe.config.Config;

/** The whole validated configuration of a run, one record per concern. */
public record RlhfConfig(RunConfig run, RuntimeConfig runtime, ModelConfig model,
    TokenizerConfig tokenizer, LoraConfig lora,
    OptimizerConfig optimizer, SftConfig sft, RewardConfig reward, DpoConfig dpo, PpoConfig ppo,
    CollectConfig collect, EvalConfig eval, MessageLogConfig log, AsyncConfig async,
    ClusterTlsConfig clusterTls, Config source) {

  /** Builds the typed records from a resolved configuration that includes reference.conf. */
  static RlhfConfig from(Config resolved) {
    Settings s = new Settings(resolved);
    RunConfig run = s.section("rlhf4j.run", () -> new RunConfig(
        s.string("rlhf4j.run.name"), s.longIn("rlhf4j.run.seed", 0, Long.MAX_VALUE)));
    RuntimeConfig runtime = s.section("rlhf4j.runtime", () -> new RuntimeConfig(
        s.intIn("rlhf4j.runtime.threads-per-model", 1, 256),
        s.intIn("rlhf4j.runtime.train-shards", 1, 256),
        s.bool("rlhf4j.runtime.recompute-activations")));
    ModelConfig model = s.section("rlhf4j.model", () -> new ModelConfig(
        s.intIn("rlhf4j.model.vocab-size", 2, 1 << 20),
        s.intIn("rlhf4j.model.context-length", 1, 1 << 16),
        s.intIn("rlhf4j.model.d-model", 1, 1 << 16),
        s.intIn("rlhf4j.model.layers", 1, 1024),
        s.intIn("rlhf4j.model.heads", 1, 1024),
        s.doubleIn("rlhf4j.model.layer-norm-epsilon", 0, false, 1, true)));
    TokenizerConfig tokenizer = s.section("rlhf4j.tokenizer", () -> new TokenizerConfig(
        s.oneOf("rlhf4j.tokenizer.kind", "byte", "bpe")));
    LoraConfig lora = s.section("rlhf4j.lora", () -> new LoraConfig(
        s.bool("rlhf4j.lora.enabled"),
        s.intIn("rlhf4j.lora.rank", 1, 1 << 16),
        s.doubleIn("rlhf4j.lora.alpha", 0, false, 1e6, true),
        s.doubleIn("rlhf4j.lora.dropout", 0, true, 1, false),
        s.listOf("rlhf4j.lora.target-modules", LoraConfig.MODULES.toArray(String[]::new))));
    OptimizerConfig optimizer = s.section("rlhf4j.optimizer", () -> new OptimizerConfig(
        s.doubleIn("rlhf4j.optimizer.learning-rate", 0, false, 1, true),
        s.oneOf("rlhf4j.optimizer.schedule", "constant", "linear", "cosine"),
        s.intIn("rlhf4j.optimizer.warmup-steps", 0, 1_000_000),
        s.doubleIn("rlhf4j.optimizer.min-lr-ratio", 0, true, 1, true),
        s.doubleIn("rlhf4j.optimizer.beta1", 0, true, 1, false),
        s.doubleIn("rlhf4j.optimizer.beta2", 0, true, 1, false),
        s.doubleIn("rlhf4j.optimizer.eps", 0, false, 1, true),
        s.doubleIn("rlhf4j.optimizer.weight-decay", 0, true, 10, true),
        s.doubleIn("rlhf4j.optimizer.max-grad-norm", 0, true, 1e6, true),
        s.intIn("rlhf4j.optimizer.max-bad-steps", 1, 1_000_000)));
    SftConfig sft = s.section("rlhf4j.sft", () -> new SftConfig(
        s.intIn("rlhf4j.sft.batch-size", 1, 1 << 16),
        s.intIn("rlhf4j.sft.steps", 1, 100_000_000),
        s.intIn("rlhf4j.sft.max-length", 2, 1 << 20),
        s.bool("rlhf4j.sft.completion-only"),
        s.intIn("rlhf4j.sft.checkpoint-every", 1, 100_000_000),
        s.bool("rlhf4j.sft.group-by-length")));
    RewardConfig reward = s.section("rlhf4j.reward", () -> new RewardConfig(
        s.intIn("rlhf4j.reward.batch-size", 1, 1 << 16),
        s.intIn("rlhf4j.reward.steps", 1, 100_000_000),
        s.intIn("rlhf4j.reward.max-length", 2, 1 << 20),
        s.intIn("rlhf4j.reward.checkpoint-every", 1, 100_000_000),
        s.doubleIn("rlhf4j.reward.eval-fraction", 0, true, 1, false),
        s.oneOf("rlhf4j.reward.pooling", "last", "sum")));
    DpoConfig dpo = s.section("rlhf4j.dpo", () -> new DpoConfig(
        s.doubleIn("rlhf4j.dpo.beta", 0, false, 1e6, true),
        s.oneOf("rlhf4j.dpo.loss", "sigmoid", "hinge", "ipo", "kto_pair", "robust"),
        s.doubleIn("rlhf4j.dpo.label-smoothing", 0, true, 0.5, false),
        s.bool("rlhf4j.dpo.precompute-reference"),
        s.intIn("rlhf4j.dpo.batch-size", 1, 1 << 16),
        s.intIn("rlhf4j.dpo.steps", 1, 100_000_000),
        s.intIn("rlhf4j.dpo.max-length", 2, 1 << 20),
        s.intIn("rlhf4j.dpo.checkpoint-every", 1, 100_000_000),
        s.doubleIn("rlhf4j.dpo.rpo-alpha", 0, true, 1e6, true)));
    PpoConfig ppo = s.section("rlhf4j.ppo", () -> new PpoConfig(
        s.intIn("rlhf4j.ppo.batch-size", 1, 1 << 16),
        s.intIn("rlhf4j.ppo.iterations", 1, 100_000_000),
        s.intIn("rlhf4j.ppo.epochs", 1, 1000),
        s.intIn("rlhf4j.ppo.minibatches", 1, 1 << 16),
        s.doubleIn("rlhf4j.ppo.cliprange", 0, false, 10, true),
        s.doubleIn("rlhf4j.ppo.cliprange-value", 0, false, 1e6, true),
        s.doubleIn("rlhf4j.ppo.vf-coef", 0, true, 1e6, true),
        s.doubleIn("rlhf4j.ppo.entropy-coef", 0, true, 1e6, true),
        s.doubleIn("rlhf4j.ppo.gamma", 0, true, 1, true),
        s.doubleIn("rlhf4j.ppo.lambda", 0, true, 1, true),
        s.doubleIn("rlhf4j.ppo.kl-coef", 0, true, 1e6, true),
        s.oneOf("rlhf4j.ppo.kl-estimator", "k1", "k2", "k3"),
        s.bool("rlhf4j.ppo.adaptive-kl"),
        s.doubleIn("rlhf4j.ppo.target-kl", 0, false, 1e6, true),
        s.intIn("rlhf4j.ppo.kl-horizon", 1, Integer.MAX_VALUE),
        s.doubleIn("rlhf4j.ppo.early-stop-kl", 0, true, 1e6, true),
        s.bool("rlhf4j.ppo.whiten-rewards"),
        s.doubleIn("rlhf4j.ppo.missing-eos-penalty", 0, true, 1e6, true),
        s.doubleIn("rlhf4j.ppo.temperature", 0, false, 100, true),
        s.intIn("rlhf4j.ppo.response-length", 1, 1 << 20),
        s.oneOf("rlhf4j.ppo.stop-token", "eos", "none"),
        s.oneOf("rlhf4j.ppo.advantage", "gae", "grpo", "rloo"),
        s.intIn("rlhf4j.ppo.group-size", 1, 1 << 16),
        new GrpoConfig(
            s.oneOf("rlhf4j.ppo.grpo.kl-in", "reward", "loss"),
            s.oneOf("rlhf4j.ppo.grpo.scale-rewards", "group", "batch", "none")),
        s.oneOf("rlhf4j.ppo.critic", "separate", "value-head"),
        s.bool("rlhf4j.ppo.decoupled"),
        s.doubleIn("rlhf4j.ppo.importance-cap", 1, true, 1e6, true),
        s.intIn("rlhf4j.ppo.checkpoint-every", 1, 100_000_000)));
    CollectConfig collect = s.section("rlhf4j.collect", () -> new CollectConfig(
        s.intIn("rlhf4j.collect.prompts", 1, 10_000_000),
        s.intIn("rlhf4j.collect.samples-per-prompt", 2, 64),
        s.doubleIn("rlhf4j.collect.temperature", 0, false, 100, true),
        s.intIn("rlhf4j.collect.max-new-tokens", 1, 1 << 20),
        s.doubleIn("rlhf4j.collect.human-temperature", 0, true, 1e6, true),
        s.bool("rlhf4j.collect.drop-ties")));
    EvalConfig eval = s.section("rlhf4j.eval", () -> new EvalConfig(
        s.intIn("rlhf4j.eval.prompts", 1, 10_000_000),
        s.doubleIn("rlhf4j.eval.temperature", 0, false, 100, true),
        s.intIn("rlhf4j.eval.top-k", 0, 1 << 24),
        s.doubleIn("rlhf4j.eval.top-p", 0, false, 1, true),
        s.intIn("rlhf4j.eval.max-new-tokens", 1, 1 << 20)));
    MessageLogConfig log = s.section("rlhf4j.log", () -> new MessageLogConfig(
        org.rlhf4j.protocol.FlushPolicy.parse(s.oneOf("rlhf4j.log.flush", "buffered", "flush", "fsync")),
        s.intIn("rlhf4j.log.max-record-bytes", 1024, Integer.MAX_VALUE)));
    AsyncConfig async = s.section("rlhf4j.async", () -> new AsyncConfig(
        s.intIn("rlhf4j.async.workers", 0, 1024),
        s.bool("rlhf4j.async.local-scorer"),
        s.intIn("rlhf4j.async.max-lag", 0, 1_000_000),
        s.intIn("rlhf4j.async.max-in-flight", 0, 1 << 24),
        s.intIn("rlhf4j.async.weight-sync-every", 1, 1_000_000),
        s.intIn("rlhf4j.async.prompts-per-work", 1, 1 << 16),
        s.intIn("rlhf4j.async.crash-every", 0, Integer.MAX_VALUE),
        s.intIn("rlhf4j.async.work-attempts", 1, 1000),
        s.intIn("rlhf4j.async.stall-timeout-seconds", 1, 7 * 24 * 3600),
        s.intIn("rlhf4j.async.rollout-niceness", 0, 19)));
    ClusterTlsConfig clusterTls = s.section("rlhf4j.cluster.tls", () -> new ClusterTlsConfig(
        s.bool("rlhf4j.cluster.tls.enabled"),
        s.string("rlhf4j.cluster.tls.key-store"),
        s.string("rlhf4j.cluster.tls.trust-store"),
        s.string("rlhf4j.cluster.tls.key-store-password-env"),
        s.string("rlhf4j.cluster.tls.trust-store-password-env")));
    s.requireAllRead();
    return new RlhfConfig(run, runtime, model, tokenizer, lora, optimizer, sft, reward, dpo, ppo, collect, eval,
        log, async, clusterTls, resolved);
  }
}
