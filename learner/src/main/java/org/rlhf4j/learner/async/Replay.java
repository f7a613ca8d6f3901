package org.rlhf4j.learner.async;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.rlhf4j.protocol.LogCorruptedException;
import org.rlhf4j.protocol.MessageLogFormat;
import org.rlhf4j.protocol.MessageLogReader;
import org.rlhf4j.protocol.pb.LogRecord;
import org.rlhf4j.protocol.pb.Metrics;

/**
 * Feeds a message log written by {@link LearnerRecorder} to a {@link PpoLearner}; it ends with the
 * recorded weights bit for bit. Every record's sequence number must follow the one before (a
 * dropped or reordered record is a corrupted log), and each version marker and learner metrics
 * record is checked against the replayed learner (version, ledger counts, weights checksum
 * prefix), so a divergence is reported at the first version where it shows. Other record types
 * are skipped.
 */
public final class Replay {
  private Replay() {}

  /**
   * Where a replay ended.
   *
   * @param records records read, from the start of the log
   * @param bytes the log's length up to the end of the last record read
   * @param complete the last record read is the run's end marker ({@link LearnerRecorder#finish})
   * @param runStart the log's run-start record, if it has one
   * @param cut what was cut after the last good record when resuming, or empty
   */
  public record Outcome(PpoLearner learner, long records, long bytes, boolean complete,
      Optional<Metrics> runStart, Optional<String> cut) {}

  /**
   * Replays {@code log} into {@code fresh} and returns it.
   *
   * @throws LogCorruptedException at the first torn, corrupted or missing record, with its offset;
   *     {@code fresh} then holds the state of the records before it
   * @throws ReplayDivergedException when the replayed learner disagrees with a recorded check
   */
  public static PpoLearner run(Path log, PpoLearner fresh) throws IOException {
    return fromStart(log, fresh, MessageLogFormat.DEFAULT_MAX_RECORD_BYTES).learner();
  }

  /** The log's run-start record ({@link LearnerRecorder#RUN_START}), if it begins with one. */
  public static Optional<Metrics> runStart(Path log, int maxRecordBytes) throws IOException {
    try (MessageLogReader reader = MessageLogReader.open(log, maxRecordBytes)) {
      Optional<LogRecord> first = reader.next();
      return first.filter(r -> r.hasMetrics()
          && r.getMetrics().getSource().equals(LearnerRecorder.RUN_START)).map(LogRecord::getMetrics);
    }
  }

  /** Replays the whole of {@code log} into {@code fresh}, a learner at version 0. */
  public static Outcome fromStart(Path log, PpoLearner fresh, int maxRecordBytes)
      throws IOException {
    if (fresh.version() != 0 || fresh.ledger().received() != 0) {
      throw new IllegalArgumentException("replay needs a fresh learner; this one is at version "
          + fresh.version() + " with " + fresh.ledger().received() + " messages received");
    }
    try (MessageLogReader reader = MessageLogReader.open(log, maxRecordBytes)) {
      return feed(log, reader, fresh, 0, false);
    }
  }

  /**
   * Continues {@code restored}, a learner put back from a checkpoint taken after
   * {@code records} records ({@code bytes} bytes) of {@code log}, with the records after them.
   * A torn or corrupted record — what a crash leaves at the end of a log — ends the reading
   * there; {@link Outcome#cut()} says what was left behind, for the caller to cut off.
   */
  public static Outcome continueFrom(Path log, PpoLearner restored, long records, long bytes,
      int maxRecordBytes) throws IOException {
    try (MessageLogReader reader = MessageLogReader.openAt(log, maxRecordBytes, bytes)) {
      return feed(log, reader, restored, records, true);
    }
  }

  private static Outcome feed(Path log, MessageLogReader reader, PpoLearner learner,
      long firstSequence, boolean stopAtDamage) throws IOException {
    long sequence = firstSequence;
    boolean complete = false;
    Optional<Metrics> runStart = Optional.empty();
    while (true) {
      long offset = reader.position();
      Optional<LogRecord> next;
      try {
        next = reader.next();
      } catch (LogCorruptedException e) {
        if (!stopAtDamage) {
          throw e;
        }
        return new Outcome(learner, sequence, offset, complete, runStart,
            Optional.of(e.reason() + " at byte " + offset));
      }
      if (next.isEmpty()) {
        return new Outcome(learner, sequence, offset, complete, runStart, Optional.empty());
      }
      LogRecord record = next.get();
      if (record.getSequence() != sequence) {
        throw new LogCorruptedException(log, offset, "record has sequence number "
            + record.getSequence() + " where " + sequence + " was expected: records are "
            + "missing or out of order");
      }
      sequence++;
      complete = false;
      switch (record.getBodyCase()) {
        case SCORED_ROLLOUT -> learner.offer(record.getScoredRollout());
        case METRICS -> {
          Metrics m = record.getMetrics();
          switch (m.getSource()) {
            case LearnerRecorder.SOURCE -> check(m, learner, offset);
            case LearnerRecorder.RUN_START -> runStart = Optional.of(m);
            case LearnerRecorder.RUN_END -> {
              checkVersion(m.getStep(), learner, offset, "ends the run at");
              checkSha(m, learner, offset);
              complete = true;
            }
            default -> { } // notes such as where a run resumed
          }
        }
        case WEIGHTS_UPDATE -> checkVersion(record.getWeightsUpdate().getVersion(), learner,
            offset, "marks");
        default -> { } // not consumed by the learner
      }
    }
  }

  private static void checkVersion(long recorded, PpoLearner learner, long offset, String what) {
    if (recorded != learner.version()) {
      throw new ReplayDivergedException(offset, recorded, "the log " + what + " version "
          + recorded + " here but the replayed learner is at " + learner.version());
    }
  }

  private static void check(Metrics metrics, PpoLearner learner, long offset) {
    long step = metrics.getStep();
    if (step != learner.version()) {
      throw new ReplayDivergedException(offset, step, "the log has the metrics of version " + step
          + " here but the replayed learner is at " + learner.version());
    }
    Map<String, Double> recorded = metrics.getValuesMap();
    for (Map.Entry<String, Double> e : learner.ledger().metrics().entrySet()) {
      Double value = recorded.get(e.getKey());
      if (value != null && !value.equals(e.getValue())) {
        throw new ReplayDivergedException(offset, step, e.getKey() + " was " + value
            + " but is " + e.getValue() + " in the replay");
      }
    }
    checkSha(metrics, learner, offset);
  }

  private static void checkSha(Metrics metrics, PpoLearner learner, long offset) {
    Double prefix = metrics.getValuesMap().get(LearnerRecorder.POLICY_SHA256_PREFIX);
    if (prefix != null) {
      String sha = learner.policyParams().sha256();
      if (prefix.longValue() != LearnerRecorder.sha256Prefix(sha)) {
        throw new ReplayDivergedException(offset, metrics.getStep(), String.format(
            "policy weights SHA-256 began %013x but begins %s in the replay",
            prefix.longValue(), sha.substring(0, 13)));
      }
    }
  }
}
