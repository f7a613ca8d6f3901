package org.rlhf4j.learner.async;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.rlhf4j.protocol.MessageLogFormat;
import org.rlhf4j.protocol.MessageLogReader;
import org.rlhf4j.protocol.pb.LogRecord;
import org.rlhf4j.protocol.pb.Metrics;

/**
 * Feeds a message log written by {@link LearnerRecorder} to a fresh {@link PpoLearner} built with
 * the recorded run's initial weights, optimizer state, configuration and seed; it ends with the
 * recorded weights bit for bit. Along the way each version marker and each learner metrics record
 * is checked against the replayed learner (version, ledger counts, weights checksum prefix), so a
 * divergence is reported at the first version where it shows. Other record types are skipped.
 */
public final class Replay {
  private Replay() {}

  /**
   * Replays {@code log} into {@code fresh} and returns it.
   *
   * @throws org.rlhf4j.protocol.LogCorruptedException at the first torn or corrupted record, with
   *     its offset; {@code fresh} then holds the state of the records before it
   * @throws ReplayDivergedException when the replayed learner disagrees with a recorded check
   */
  public static PpoLearner run(Path log, PpoLearner fresh) throws IOException {
    return run(log, fresh, MessageLogFormat.DEFAULT_MAX_RECORD_BYTES);
  }

  /** {@link #run(Path, PpoLearner)} with a limit on the size of one record. */
  public static PpoLearner run(Path log, PpoLearner fresh, int maxRecordBytes)
      throws IOException {
    if (fresh.version() != 0 || fresh.ledger().received() != 0) {
      throw new IllegalArgumentException("replay needs a fresh learner; this one is at version "
          + fresh.version() + " with " + fresh.ledger().received() + " messages received");
    }
    try (MessageLogReader reader = MessageLogReader.open(log, maxRecordBytes)) {
      while (true) {
        long offset = reader.position();
        Optional<LogRecord> next = reader.next();
        if (next.isEmpty()) {
          return fresh;
        }
        LogRecord record = next.get();
        switch (record.getBodyCase()) {
          case SCORED_ROLLOUT -> fresh.offer(record.getScoredRollout());
          case METRICS -> check(record.getMetrics(), fresh, offset);
          case WEIGHTS_UPDATE -> {
            long recorded = record.getWeightsUpdate().getVersion();
            if (recorded != fresh.version()) {
              throw new ReplayDivergedException(offset, recorded, "the log marks version "
                  + recorded + " here but the replayed learner is at " + fresh.version());
            }
          }
          default -> { } // not consumed by the learner
        }
      }
    }
  }

  private static void check(Metrics metrics, PpoLearner learner, long offset) {
    if (!metrics.getSource().equals(LearnerRecorder.SOURCE)) {
      return;
    }
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
    Double prefix = recorded.get(LearnerRecorder.POLICY_SHA256_PREFIX);
    if (prefix != null) {
      String sha = learner.policyParams().sha256();
      if (prefix.longValue() != LearnerRecorder.sha256Prefix(sha)) {
        throw new ReplayDivergedException(offset, step, String.format(
            "policy weights SHA-256 began %013x but begins %s in the replay",
            prefix.longValue(), sha.substring(0, 13)));
      }
    }
  }
}
