package org.rlhf4j.actors.ppo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.RunDirectoryException;
import org.rlhf4j.learner.async.LearnerRecorder;
import org.rlhf4j.model.io.AtomicFiles;
import org.rlhf4j.model.io.Checkpoint;

/**
 * The files a PPO run starts from — {@code config.conf}, {@code run.json} and the initial weights
 * under {@code initial/} — written before the first rollout, checked before a resume, and
 * fingerprinted in the message log's first record so that a replay notices when one was changed.
 */
final class RunFiles {
  static final String CONFIG = "config.conf";
  static final String RUN_JSON = "run.json";
  static final String INITIAL_POLICY = "initial/policy";
  static final String INITIAL_CRITIC = "initial/critic";
  static final String SUMMARY = "summary.json";
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT);
  private static final String[] FINGERPRINTED = {CONFIG, RUN_JSON};

  private RunFiles() {}

  /** Writes what the run starts from into {@code out}. */
  static void writeStart(PpoPipeline.Spec spec, Path out) throws IOException {
    Files.createDirectories(out);
    AtomicFiles.writeString(out.resolve(CONFIG), ConfigLoader.render(spec.config()));
    Checkpoint.save(out.resolve(INITIAL_POLICY), new Checkpoint.Contents(
        spec.policyModel().config(), spec.policyModel().heads(), spec.initialPolicy(),
        Optional.empty(), 0, spec.tokenizer(), Map.of(),
        spec.policyModel().lora().orElse(null)));
    if (spec.initialCritic() != null) {
      Checkpoint.save(out.resolve(INITIAL_CRITIC), new Checkpoint.Contents(
          spec.criticModel().config(), spec.criticModel().heads(), spec.initialCritic(),
          Optional.empty(), 0, spec.tokenizer(), Map.of(),
          spec.criticModel().lora().orElse(null)));
    }
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("kernels", spec.kernels());
    run.put("pad_id", spec.padId());
    run.put("learner_threads", spec.threads().learner());
    AtomicFiles.writeString(out.resolve(RUN_JSON), JSON.writeValueAsString(run));
  }

  /**
   * Refuses to resume {@code out} with {@code spec} unless the run is unfinished and started from
   * the same configuration and initial policy (a resumed run must be the run it continues).
   */
  static void checkResumable(PpoPipeline.Spec spec, Path out) throws IOException {
    if (Files.exists(out.resolve(SUMMARY))) {
      throw new RunDirectoryException(out + " holds a finished PPO run (" + out.resolve(SUMMARY)
          + "); there is nothing to resume");
    }
    for (String f : new String[] {CONFIG, RUN_JSON, INITIAL_POLICY}) {
      if (!Files.exists(out.resolve(f))) {
        throw new RunDirectoryException(out + " cannot be resumed: it has no " + f);
      }
    }
    RlhfConfig saved = ConfigLoader.load(out.resolve(CONFIG));
    firstDifference(saved.source().getConfig("rlhf4j"), spec.config().source()
        .getConfig("rlhf4j")).ifPresent(d -> {
          throw new RunDirectoryException("--resume: the configuration differs from the run's "
              + out.resolve(CONFIG) + " at rlhf4j." + d + "; resume with the settings it "
              + "started with");
        });
    Checkpoint.Contents initial = Checkpoint.load(out.resolve(INITIAL_POLICY), DataType.FLOAT);
    if (!initial.params().sha256().equals(spec.initialPolicy().copy(DataType.FLOAT).sha256())) {
      throw new RunDirectoryException("--resume: the initial policy (--init) is not the one "
          + out + " started from (" + out.resolve(INITIAL_POLICY) + ")");
    }
  }

  /** Checksum prefixes of the run's starting files, for the message log's first record. */
  static Map<String, Double> startChecksums(Path out) throws IOException {
    Map<String, Double> m = new LinkedHashMap<>();
    for (String f : FINGERPRINTED) {
      m.put(key(f), prefix(fileSha256(out.resolve(f))));
    }
    m.put(key(INITIAL_POLICY), prefix(weightsSha256(out.resolve(INITIAL_POLICY))));
    if (Files.exists(out.resolve(INITIAL_CRITIC))) {
      m.put(key(INITIAL_CRITIC), prefix(weightsSha256(out.resolve(INITIAL_CRITIC))));
    }
    return m;
  }

  /**
   * Refuses to replay {@code dir} when a starting file differs from the one the log's first
   * record fingerprinted: the replay would diverge, and the cause is the edit, not the run.
   */
  static void checkUnchanged(Path dir, Map<String, Double> recorded) throws IOException {
    for (String f : new String[] {CONFIG, RUN_JSON, INITIAL_POLICY, INITIAL_CRITIC}) {
      Double expected = recorded.get(key(f));
      if (expected == null) {
        continue;
      }
      Path p = dir.resolve(f);
      String sha = f.startsWith("initial/") ? weightsSha256(p) : fileSha256(p);
      if (prefix(sha) != expected) {
        throw new RunDirectoryException(p + " was changed after the run started (its SHA-256 "
            + "begins " + sha.substring(0, 13) + ", the message log recorded "
            + String.format("%013x", expected.longValue()) + "); replay needs the run's own "
            + "files");
      }
    }
  }

  private static String key(String file) {
    return "start/" + file.replace('/', '_').replace('.', '_') + "_sha256_52";
  }

  private static double prefix(String sha) {
    return LearnerRecorder.sha256Prefix(sha);
  }

  private static String weightsSha256(Path checkpoint) throws IOException {
    return Checkpoint.load(checkpoint, DataType.FLOAT).params().sha256();
  }

  private static String fileSha256(Path file) throws IOException {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The first key, in order, whose value differs between {@code a} and {@code b}. */
  private static Optional<String> firstDifference(Config a, Config b) {
    TreeSet<String> keys = new TreeSet<>();
    a.entrySet().forEach(e -> keys.add(e.getKey()));
    b.entrySet().forEach(e -> keys.add(e.getKey()));
    for (String k : keys) {
      ConfigValue x = a.hasPath(k) ? a.getValue(k) : null;
      ConfigValue y = b.hasPath(k) ? b.getValue(k) : null;
      Object vx = x == null ? null : x.unwrapped();
      Object vy = y == null ? null : y.unwrapped();
      if (vx == null ? vy != null : !vx.equals(vy)) {
        return Optional.of(k + " (" + (x == null ? "unset" : x.render()) + " there, "
            + (y == null ? "unset" : y.render()) + " now)");
      }
    }
    return Optional.empty();
  }
}
