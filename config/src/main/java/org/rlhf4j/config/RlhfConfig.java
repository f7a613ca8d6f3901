package org.rlhf4j.config;

import com.typesafe.config.Config;

/** The whole validated configuration of a run, one record per concern. */
public record RlhfConfig(
    RunConfig run, RuntimeConfig runtime, ModelConfig model, MessageLogConfig log, Config source) {

  /** Builds the typed records from a resolved configuration that includes reference.conf. */
  static RlhfConfig from(Config resolved) {
    Settings s = new Settings(resolved);
    RunConfig run = s.section("rlhf4j.run", () -> new RunConfig(
        s.string("rlhf4j.run.name"), s.longIn("rlhf4j.run.seed", 0, Long.MAX_VALUE)));
    RuntimeConfig runtime = s.section("rlhf4j.runtime", () -> new RuntimeConfig(
        s.intIn("rlhf4j.runtime.threads-per-model", 1, 256),
        s.oneOf("rlhf4j.runtime.omp-wait-policy", "passive", "active")));
    ModelConfig model = s.section("rlhf4j.model", () -> new ModelConfig(
        s.intIn("rlhf4j.model.vocab-size", 2, 1 << 20),
        s.intIn("rlhf4j.model.context-length", 1, 1 << 16),
        s.intIn("rlhf4j.model.d-model", 1, 1 << 16),
        s.intIn("rlhf4j.model.layers", 1, 1024),
        s.intIn("rlhf4j.model.heads", 1, 1024),
        s.doubleIn("rlhf4j.model.layer-norm-epsilon", 0, false, 1, true)));
    MessageLogConfig log = s.section("rlhf4j.log", () -> new MessageLogConfig(
        org.rlhf4j.protocol.FlushPolicy.parse(s.oneOf("rlhf4j.log.flush", "buffered", "flush", "fsync")),
        s.intIn("rlhf4j.log.max-record-bytes", 1024, Integer.MAX_VALUE)));
    s.requireAllRead();
    return new RlhfConfig(run, runtime, model, log, resolved);
  }
}
