package org.rlhf4j.learner.async;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.learner.TrainingRun;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.io.AtomicFiles;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.protocol.FlushPolicy;
import org.rlhf4j.protocol.MessageLogReader;
import org.rlhf4j.protocol.MessageLogWriter;
import org.rlhf4j.protocol.pb.LearnerState;
import org.rlhf4j.protocol.pb.LogRecord;

/**
 * A PPO run's resumable learner checkpoints, {@code checkpoints/version-N/}: the policy and the
 * separate critic with their AdamW moments ({@link Checkpoint} directories {@code policy/} and
 * {@code critic/}), and {@code learner.r4jlog}, one CRC-checked record holding the rest of the
 * learner's {@link LearnerState} and how far the message log had come. A version directory
 * appears only once complete (written under a temporary name, then renamed); the newest few are
 * kept.
 */
public final class LearnerCheckpoints {
  static final String PREFIX = "version-";
  static final String STATE = "learner.r4jlog";
  private final Path root;
  private final int keep;

  /** A restored checkpoint: where it was and the message log's length at its state. */
  public record Restored(Path dir, long version, long logRecords, long logBytes) {}

  public LearnerCheckpoints(Path runDir, int keep) {
    if (keep < 1) {
      throw new IllegalArgumentException("keep at least one checkpoint, got " + keep);
    }
    this.root = runDir.resolve("checkpoints");
    this.keep = keep;
  }

  /**
   * Saves {@code learner} as it is now, after {@code logRecords} records ({@code logBytes} bytes)
   * of its message log, and prunes all but the newest {@code keep} checkpoints. The caller makes
   * sure those records are on the disk first: a checkpoint must never be ahead of its log.
   */
  public Path save(PpoLearner learner, Gpt policyModel, Gpt criticModel,
      Map<String, String> tokenizer, long logRecords, long logBytes) throws IOException {
    Files.createDirectories(root);
    Path target = root.resolve(PREFIX + learner.version());
    Path temp = root.resolve("." + target.getFileName() + ".tmp-" + UUID.randomUUID());
    Files.createDirectory(temp);
    try {
      Checkpoint.save(temp.resolve("policy"), TrainingRun.contents(policyModel,
          learner.policyParams(), learner.policyOptimizer(), learner.version(), tokenizer));
      if (learner.criticParams() != null) {
        Checkpoint.save(temp.resolve("critic"), TrainingRun.contents(criticModel,
            learner.criticParams(), learner.criticOptimizer(), learner.version(), tokenizer));
      }
      LearnerState state = learner.state().toBuilder()
          .setLogRecords(logRecords).setLogBytes(logBytes).build();
      try (MessageLogWriter w = MessageLogWriter.create(temp.resolve(STATE), FlushPolicy.FSYNC)) {
        w.write(LogRecord.newBuilder().setLearnerState(state).build());
      }
      if (Files.exists(target)) {
        Checkpoint.deleteTree(target);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      AtomicFiles.forceDirectory(root);
    } catch (IOException | RuntimeException e) {
      Checkpoint.deleteTree(temp);
      throw e;
    }
    List<Path> all = list();
    for (int i = 0; i < all.size() - keep; i++) {
      Checkpoint.deleteTree(all.get(i));
    }
    return target;
  }

  /**
   * Restores the newest checkpoint that reads back whole into {@code fresh} (a learner just built
   * at version 0 from the run's initial weights). A checkpoint that fails to read, or points past
   * the end of the message log ({@code logLength} bytes), is skipped with a notice naming it and
   * why, and the one before it is tried; empty when none is usable.
   */
  public Optional<Restored> restoreNewest(PpoLearner fresh, long logLength,
      Consumer<String> notices) throws IOException {
    Checkpoint.removeLeftovers(root); // saves a crash interrupted were never complete
    List<Path> all = new ArrayList<>(list());
    for (int i = all.size() - 1; i >= 0; i--) {
      Path dir = all.get(i);
      Loaded loaded;
      try {
        loaded = load(dir, fresh.criticParams() != null);
        if (loaded.state.getLogBytes() > logLength) {
          throw new IOException("it is ahead of the message log (at byte "
              + loaded.state.getLogBytes() + " of " + logLength + ")");
        }
      } catch (IOException | RuntimeException e) {
        notices.accept("skipping the learner checkpoint " + dir + ": " + e.getMessage()
            + (i > 0 ? "; trying the one before it" : ""));
        continue;
      }
      apply(loaded, fresh);
      LearnerState s = loaded.state;
      return Optional.of(new Restored(dir, s.getVersion(), s.getLogRecords(), s.getLogBytes()));
    }
    return Optional.empty();
  }

  private record Loaded(Checkpoint.Contents policy, Checkpoint.Contents critic,
      LearnerState state) {}

  private static Loaded load(Path dir, boolean withCritic) throws IOException {
    LearnerState state;
    try (MessageLogReader r = MessageLogReader.open(dir.resolve(STATE))) {
      Optional<LogRecord> record = r.next();
      if (record.isEmpty() || !record.get().hasLearnerState()) {
        throw new IOException(dir.resolve(STATE) + " holds no learner state");
      }
      state = record.get().getLearnerState();
    }
    Checkpoint.Contents policy = Checkpoint.load(dir.resolve("policy"), DataType.FLOAT);
    Checkpoint.Contents critic = withCritic
        ? Checkpoint.load(dir.resolve("critic"), DataType.FLOAT) : null;
    if (policy.optimizer().isEmpty() || (critic != null && critic.optimizer().isEmpty())) {
      throw new IOException(dir + " has no optimizer state");
    }
    if (!policy.params().sha256().equals(state.getPolicySha256())) {
      throw new IOException(dir + ": the policy weights are not those of the learner state");
    }
    return new Loaded(policy, critic, state);
  }

  private static void apply(Loaded loaded, PpoLearner fresh) {
    TrainingRun.restore(fresh.policyParams(), fresh.policyOptimizer(), loaded.policy);
    if (loaded.critic != null) {
      TrainingRun.restore(fresh.criticParams(), fresh.criticOptimizer(), loaded.critic);
    }
    fresh.restore(loaded.state);
  }

  private List<Path> list() throws IOException {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(p -> p.getFileName().toString().matches(PREFIX + "\\d+"))
          .sorted(Comparator.comparingLong(LearnerCheckpoints::versionOf)).toList();
    }
  }

  private static long versionOf(Path p) {
    return Long.parseLong(p.getFileName().toString().substring(PREFIX.length()));
  }
}
