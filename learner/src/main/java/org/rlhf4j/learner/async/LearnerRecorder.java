package org.rlhf4j.learner.async;

import java.io.IOException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.rlhf4j.protocol.MessageLogWriter;
import org.rlhf4j.protocol.pb.LogRecord;
import org.rlhf4j.protocol.pb.Metrics;
import org.rlhf4j.protocol.pb.ScoredRollout;
import org.rlhf4j.protocol.pb.WeightsUpdate;

/**
 * Records what a {@link PpoLearner} consumes in a message log, so that {@link Replay} can rebuild
 * its weights bit for bit. Per offered message, in this order:
 * <ol>
 *   <li>a {@code scored_rollout} record, written <em>before</em> the learner sees the message
 *       (admitted or not: duplicates, stale and rejected ones too), so a message whose round
 *       fails is in the log and replay meets the same failure;
 *   <li>if the message completed an update round, a {@code metrics} record: source
 *       {@value #SOURCE}, step = the new version, the round's metrics, the {@link Ledger} counts,
 *       and under {@value #POLICY_SHA256_PREFIX} the first 13 hex digits (52 bits, exact in a
 *       double) of the new policy weights' SHA-256 ({@code ParameterStore.sha256()});
 *   <li>then a {@code weights_update} record with only the new version and no tensors: a version
 *       marker, saying the preceding records made this version.
 * </ol>
 * Replay feeds the scored rollouts and checks the other two against the replayed learner. A run's
 * log also begins with a {@value #RUN_START} metrics record (checksums of what the run started
 * from, for replay to check first), may hold {@value #RUN_RESUMED} records where a stopped run
 * went on, and ends with a {@value #RUN_END} record once the learner finished: a log without it
 * belongs to a run that stopped early, or was cut. Record sequence numbers count from 0 across
 * the whole log and continue from the records already in it. Not thread-safe.
 */
public final class LearnerRecorder implements java.io.Closeable {
  /** The {@code Metrics.source} of the learner's records. */
  public static final String SOURCE = "learner";
  /** The 52-bit prefix of the policy weights' SHA-256, as an integer-valued double. */
  public static final String POLICY_SHA256_PREFIX = "weights/policy_sha256_52";
  /** The {@code Metrics.source} of the first record: what the run started from. */
  public static final String RUN_START = "run-start";
  /** The {@code Metrics.source} of a record where a stopped run was resumed. */
  public static final String RUN_RESUMED = "run-resumed";
  /** The {@code Metrics.source} of the last record of a finished run. */
  public static final String RUN_END = "run-end";

  /** Told after each new policy version is logged, e.g. to write a checkpoint. */
  @FunctionalInterface
  public interface VersionListener {
    void afterVersion(PpoLearner learner, MessageLogWriter log) throws IOException;
  }

  private final PpoLearner learner;
  private final MessageLogWriter log;
  private final Clock clock;
  private final VersionListener listener;
  private long sequence;

  /**
   * @param clock stamps {@code Metrics.unix_millis}; a fixed clock makes equal runs write equal
   *     files
   */
  public LearnerRecorder(PpoLearner learner, MessageLogWriter log, Clock clock) {
    this(learner, log, clock, (l, w) -> { });
  }

  /** A recorder that tells {@code listener} of every version it logs. */
  public LearnerRecorder(PpoLearner learner, MessageLogWriter log, Clock clock,
      VersionListener listener) {
    this.learner = learner;
    this.log = log;
    this.clock = clock;
    this.listener = listener;
    this.sequence = log.records();
  }

  /** Writes a metrics record from {@code source} at the learner's version. */
  public void note(String source, Map<String, Double> values) throws IOException {
    log.write(LogRecord.newBuilder().setSequence(sequence++).setMetrics(Metrics.newBuilder()
        .setSource(source)
        .setStep(learner.version())
        .setUnixMillis(clock.millis())
        .putAllValues(values)).build());
  }

  /** Marks the end of the run in the log and closes it. */
  public void finish() throws IOException {
    note(RUN_END, Map.of(POLICY_SHA256_PREFIX,
        (double) sha256Prefix(learner.policyParams().sha256())));
    close();
  }

  /** Logs {@code message}, offers it to the learner, and logs the round it completed, if any. */
  public PpoLearner.Outcome offer(ScoredRollout message) throws IOException {
    log.write(LogRecord.newBuilder().setSequence(sequence++).setScoredRollout(message).build());
    PpoLearner.Outcome outcome = learner.offer(message);
    if (outcome == PpoLearner.Outcome.TRAINED) {
      Map<String, Double> values = new LinkedHashMap<>(learner.lastRound());
      values.putAll(learner.ledger().metrics());
      values.put(POLICY_SHA256_PREFIX, (double) sha256Prefix(learner.policyParams().sha256()));
      log.write(LogRecord.newBuilder().setSequence(sequence++).setMetrics(Metrics.newBuilder()
          .setSource(SOURCE)
          .setStep(learner.version())
          .setUnixMillis(clock.millis())
          .putAllValues(values)).build());
      log.write(LogRecord.newBuilder().setSequence(sequence++).setWeightsUpdate(
          WeightsUpdate.newBuilder().setVersion(learner.version())).build());
      listener.afterVersion(learner, log);
    }
    return outcome;
  }

  /** Flushes and closes the message log. */
  @Override
  public void close() throws IOException {
    log.close();
  }

  /** The recorded learner. */
  public PpoLearner learner() {
    return learner;
  }

  /** The first 13 hex digits of a SHA-256 in hex, as a number below 2⁵², exact in a double. */
  public static long sha256Prefix(String hex) {
    return Long.parseLong(hex.substring(0, 13), 16);
  }
}
