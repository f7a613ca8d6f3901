package org.rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** The trainers end to end through the command line, on a tiny model and tiny files. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrainCommandsTest {
  private Path dir;
  private Path config;

  @BeforeAll
  void files(@TempDir Path temp) throws IOException {
    dir = temp;
    config = dir.resolve("tiny.conf");
    Files.writeString(config, """
        rlhf4j.model { d-model = 16, layers = 1, heads = 2, context-length = 40 }
        rlhf4j.sft { steps = 4, batch-size = 4, checkpoint-every = 2 }
        rlhf4j.reward { steps = 4, batch-size = 4, checkpoint-every = 2 }
        rlhf4j.dpo { steps = 4, batch-size = 4, checkpoint-every = 2 }
        rlhf4j.ppo { iterations = 2, batch-size = 4, minibatches = 2, epochs = 1,
          response-length = 4, checkpoint-every = 1 }
        rlhf4j.eval { prompts = 8, max-new-tokens = 6 }
        rlhf4j.collect { prompts = 4, max-new-tokens = 6, samples-per-prompt = 3,
          drop-ties = false }
        """);
    TinyData.write(dir, 8, "Hi ", "Yo ");
  }

  /** A config file {@code name} holding the tiny config plus {@code settings}. */
  private Path tinyConfigWith(String name, String settings) throws IOException {
    Path conf = dir.resolve(name);
    Files.writeString(conf, "include \"" + config.getFileName() + "\"\n" + settings);
    return conf;
  }

  private org.rlhf4j.model.io.Checkpoint.Contents checkpoint(String model) throws IOException {
    return org.rlhf4j.model.io.Checkpoint.load(dir.resolve(model),
        org.nd4j.linalg.api.buffer.DataType.FLOAT);
  }

  private JsonNode ok(String... args) throws IOException {
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run(args);
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.err().contains("100%") || List.of(args).contains("--resume"),
        "no finished progress bar: " + r.err());
    return new ObjectMapper().readTree(r.out());
  }

  @Test
  @Order(1)
  void sftWritesAModelMetricsAndCheckpoints() throws IOException {
    JsonNode out = ok("sft", "--data", dir.resolve("sft.jsonl").toString(), "--config",
        config.toString(), "--out", dir.resolve("sft").toString());
    assertEquals(4, out.get("steps").asInt());
    assertTrue(Files.exists(dir.resolve("sft/model/model.safetensors")));
    assertTrue(Files.exists(dir.resolve("sft/checkpoints/step-4/optimizer.safetensors")));
    assertEquals(4, Files.readAllLines(dir.resolve("sft/metrics.jsonl")).size());
    assertTrue(Files.readString(dir.resolve("sft/config.conf")).contains("d-model=16"));
  }

  @Test
  void setAndSeedGoOverTheFileAndIntoTheRunsConfiguration() throws IOException {
    JsonNode out = ok("sft", "--data", dir.resolve("sft.jsonl").toString(), "--config",
        config.toString(), "--set", "sft.steps=2", "--set", "rlhf4j.sft.checkpoint-every=1",
        "--seed", "42", "--out", dir.resolve("sft-set").toString());
    assertEquals(2, out.get("steps").asInt(), "the file's 4 steps stood");
    assertTrue(Files.exists(dir.resolve("sft-set/checkpoints/step-1")), "checkpoint-every 1");
    String conf = Files.readString(dir.resolve("sft-set/config.conf"));
    assertTrue(conf.contains("# set in --set sft.steps=2 (default 300)\n        steps=2\n"),
        conf);
    assertTrue(conf.contains("# set in --seed 42 (default 1234)\n        seed=42\n"), conf);
  }

  @Test
  void aFreshModelWithBpeLearnsItsTokenizerFromTheSftTextsAndItsCheckpointCarriesIt()
      throws IOException {
    Path conf = tinyConfigWith("bpe.conf",
        "rlhf4j.tokenizer.kind = bpe\nrlhf4j.model.vocab-size = 300\n");
    ok("sft", "--data", dir.resolve("sft.jsonl").toString(), "--config", conf.toString(),
        "--out", dir.resolve("sft-bpe").toString());
    org.rlhf4j.model.io.Checkpoint.Contents sft = checkpoint("sft-bpe/model");
    org.rlhf4j.model.tokenizer.Tokenizer tokenizer =
        org.rlhf4j.model.tokenizer.Tokenizer.fromDescription(sft.tokenizer());
    assertEquals("learned", sft.tokenizer().get("source"));
    // "q0 a0".."q7 a7" pre-tokenize to "q", "0", " a", "0": the only pair seen twice is " a"
    assertEquals("Ġ a", sft.tokenizer().get("merges"));
    assertEquals(258, tokenizer.vocabSize());
    assertEquals(1, tokenizer.encode(" a").length);
    // a reward model started from it keeps the tokenizer; a fresh one cannot learn it
    ok("rm", "--data", dir.resolve("prefs.jsonl").toString(), "--config", conf.toString(),
        "--out", dir.resolve("rm-bpe").toString(), "--init",
        dir.resolve("sft-bpe/model").toString());
    assertEquals(sft.tokenizer(), checkpoint("rm-bpe/model").tokenizer());
    Rlhf4jCommandTest.Run fresh = Rlhf4jCommandTest.run("rm", "--data",
        dir.resolve("prefs.jsonl").toString(), "--config", conf.toString(), "--out",
        dir.resolve("rm-fresh-bpe").toString());
    assertEquals(2, fresh.exit(), fresh.err());
    assertTrue(fresh.err().contains("rlhf4j.tokenizer.kind"), fresh.err());
  }

  @Test
  @Order(2)
  void rewardModelReportsHeldOutAccuracy() throws IOException {
    JsonNode out = ok("rm", "--data", dir.resolve("prefs.jsonl").toString(), "--config",
        config.toString(), "--out", dir.resolve("rm").toString());
    assertTrue(out.get("eval_accuracy").isNumber(), out.toString());
    assertEquals(1, out.get("eval_pairs").asInt());
    assertTrue(Files.exists(dir.resolve("rm/model/rlhf4j.json")));
    assertEquals(org.rlhf4j.model.RewardPooling.LAST, org.rlhf4j.model.RewardPooling.of(
        checkpoint("rm/model").state()));
  }

  @Test
  void aSumPooledRewardModelSaysSoAndItsReadersPoolTheSameWay() throws IOException {
    Path conf = tinyConfigWith("sum.conf", "rlhf4j.reward.pooling = sum\n");
    ok("rm", "--data", dir.resolve("prefs.jsonl").toString(), "--config", conf.toString(),
        "--out", dir.resolve("rm-sum").toString());
    org.rlhf4j.model.io.Checkpoint.Contents rm = checkpoint("rm-sum/model");
    assertEquals(org.rlhf4j.model.RewardPooling.SUM, org.rlhf4j.model.RewardPooling.of(
        rm.state()));
    PpoModels models = PpoModels.load(org.rlhf4j.config.ConfigLoader.load(config), null,
        dir.resolve("rm-sum/model"), new org.rlhf4j.model.kernels.VectorKernels());
    assertEquals(org.rlhf4j.model.RewardPooling.SUM, models.rewardModel().rewardPooling());
  }

  @Test
  @Order(3)
  void dpoStartsFromTheSftModel() throws IOException {
    JsonNode out = ok("dpo", "--data", dir.resolve("prefs.jsonl").toString(), "--config",
        config.toString(), "--out", dir.resolve("dpo").toString(), "--init",
        dir.resolve("sft/model").toString());
    assertTrue(Double.isFinite(out.get("loss").asDouble()));
  }

  @Test
  @Order(4)
  void ppoSyncTrainsAgainstTheRewardModel() throws IOException {
    JsonNode out = ok("ppo", "--sync", "--data", dir.resolve("prompts.jsonl").toString(),
        "--config", config.toString(), "--out", dir.resolve("ppo").toString(), "--init",
        dir.resolve("sft/model").toString(), "--reward-model", dir.resolve("rm/model").toString(),
        "--set", "ppo.kl-coef=0.2", "--seed", "7");
    assertEquals(2, out.get("iterations").asInt());
    String conf = Files.readString(dir.resolve("ppo/config.conf"));
    assertTrue(conf.contains("# set in --set ppo.kl-coef=0.2 (default 0.05)\n"), conf);
    assertTrue(conf.contains("# set in --seed 7 (default 1234)\n        seed=7\n"), conf);
    assertEquals(8, out.get("trained").asInt());
    assertTrue(Files.exists(dir.resolve("ppo/model/model.safetensors")));
    JsonNode summary = new ObjectMapper().readTree(dir.resolve("ppo/summary.json").toFile());
    assertEquals("sync", summary.get("mode").asText());
    assertEquals(out.get("weights_sha256").asText(), summary.get("weights_sha256").asText());

    // the run's message log rebuilds the same weights
    Rlhf4jCommandTest.Run replay = Rlhf4jCommandTest.run("replay", dir.resolve("ppo").toString());
    assertEquals(0, replay.exit(), replay.err());
    assertEquals(out.get("weights_sha256").asText(),
        new ObjectMapper().readTree(replay.out()).get("weights_sha256").asText());
  }

  @Test
  @Order(5)
  void ppoWithLoraTrainsAdaptersOnTheFrozenSftModelAndReplays() throws IOException {
    for (String advantage : List.of("gae", "grpo")) {
      Path out = dir.resolve("ppo-lora-" + advantage);
      JsonNode done = ok("ppo", "--sync", "--data", dir.resolve("prompts.jsonl").toString(),
          "--config", config.toString(), "--out", out.toString(), "--init",
          dir.resolve("sft/model").toString(), "--reward-model",
          dir.resolve("rm/model").toString(), "--set", "lora.enabled=true", "--set",
          "lora.rank=2", "--set", "ppo.advantage=" + advantage, "--set", "ppo.group-size=2");
      assertEquals(2, done.get("iterations").asInt());
      org.rlhf4j.model.io.Checkpoint.Contents model =
          checkpoint("ppo-lora-" + advantage + "/model");
      assertEquals(2, model.adapters().orElseThrow().rank());
      // the body is the SFT model's, bit for bit: only heads and adapters trained
      org.rlhf4j.model.io.Checkpoint.Contents sft = checkpoint("sft/model");
      for (var spec : sft.params().layout().specs()) {
        assertEquals(0.0, sft.params().get(spec.name()).sub(model.params().get(spec.name()))
            .amaxNumber().doubleValue(), advantage + ": " + spec.name() + " changed");
      }
      JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
      assertEquals(0, summary.get("reference_weights_bytes").asLong());
      Rlhf4jCommandTest.Run replay = Rlhf4jCommandTest.run("replay", out.toString());
      assertEquals(0, replay.exit(), replay.err());
      assertEquals(done.get("weights_sha256").asText(),
          new ObjectMapper().readTree(replay.out()).get("weights_sha256").asText());
    }
  }

  @Test
  @Order(5)
  void anExistingRunNeedsResumeAndResumeFinishesIt() throws IOException {
    Rlhf4jCommandTest.Run again = Rlhf4jCommandTest.run("sft", "--data",
        dir.resolve("sft.jsonl").toString(), "--config", config.toString(), "--out",
        dir.resolve("sft").toString());
    assertEquals(2, again.exit());
    assertTrue(again.err().contains("--resume"), again.err());
    JsonNode resumed = ok("sft", "--resume", "--data", dir.resolve("sft.jsonl").toString(),
        "--config", config.toString(), "--out", dir.resolve("sft").toString());
    assertEquals(4, resumed.get("steps").asInt());
  }

  @Test
  @Order(6)
  void evalPrintsATableAndWritesTheReport() throws IOException {
    Path report = dir.resolve("eval.json");
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("eval", "--task", "sentiment", "--policy",
        dir.resolve("dpo/model").toString(), "--baseline", dir.resolve("sft/model").toString(),
        "--reward-model", dir.resolve("rm/model").toString(), "--comparisons",
        dir.resolve("prefs.jsonl").toString(), "--config", config.toString(), "--out",
        report.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("win rate vs baseline"), r.out());
    JsonNode json = new ObjectMapper().readTree(report.toFile());
    for (String key : List.of("gold_reward", "gold_reward_ci_low", "kl", "win_rate",
        "win_rate_ci_high", "rm_accuracy")) {
      assertTrue(json.has(key), key + " missing from " + json);
    }
    assertEquals(8, json.get("prompts").asInt());
  }

  @Test
  @Order(6)
  void evalOnTheUsersPromptsIsJudgedByTheTaskAndMeasuresText() throws IOException {
    Path report = dir.resolve("eval-prompts.json");
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("eval", "--task", "sentiment", "--prompts",
        dir.resolve("prompts.jsonl").toString(), "--policy", dir.resolve("dpo/model").toString(),
        "--baseline", dir.resolve("sft/model").toString(), "--config", config.toString(),
        "--out", report.toString());
    assertEquals(0, r.exit(), r.err());
    for (String row : List.of("invalid text", "distinct-2", "ref NLL per token",
        "baseline distinct-2", "text vs baseline: ")) {
      assertTrue(r.out().contains(row), row + " missing from " + r.out());
    }
    JsonNode json = new ObjectMapper().readTree(report.toFile());
    assertEquals(2, json.get("prompts").asInt(), "the two lines of prompts.jsonl");
    for (String key : List.of("gold_reward", "win_rate", "kl", "invalid_text",
        "invalid_text_ci_low", "distinct1", "distinct2", "real_words", "sft_nll",
        "sft_nll_ci_high", "baseline_invalid_text", "baseline_distinct2", "text_quality")) {
      assertTrue(json.has(key), key + " missing from " + json);
    }
    assertTrue(json.get("sft_nll").asDouble() > 0, json.toString());
  }

  @Test
  @Order(6)
  void evalOnTheUsersPromptsWithoutATaskReportsWhatNeedsNoLabeler() throws IOException {
    Path report = dir.resolve("eval-no-task.json");
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("eval", "--prompts",
        dir.resolve("prompts.jsonl").toString(), "--policy", dir.resolve("dpo/model").toString(),
        "--reference", dir.resolve("sft/model").toString(), "--reward-model",
        dir.resolve("rm/model").toString(), "--config", config.toString(), "--out",
        report.toString());
    assertEquals(0, r.exit(), r.err());
    JsonNode json = new ObjectMapper().readTree(report.toFile());
    for (String key : List.of("kl", "invalid_text", "distinct2", "real_words", "sft_nll",
        "rm_score", "rm_score_ci_low")) {
      assertTrue(json.has(key), key + " missing from " + json);
    }
    for (String key : List.of("gold_reward", "win_rate", "rm_accuracy", "text_quality")) {
      assertFalse(json.has(key), key + " needs a labeler, comparisons or a baseline: " + json);
    }
  }

  @Test
  @Order(6)
  void evalRefusesPromptsItCannotUseInOneLine() throws IOException {
    Path empty = Files.writeString(dir.resolve("no-prompts.jsonl"), "\n");
    Path malformed = Files.writeString(dir.resolve("bad-prompts.jsonl"),
        "{\"prompt\": \"ok \"}\n{\"prompt\": 3}\n");
    // the tiny model's context is 40 tokens and rlhf4j.eval.max-new-tokens is 6
    Path tooLong = Files.writeString(dir.resolve("long-prompts.jsonl"),
        "{\"prompt\": \"ok \"}\n{\"prompt\": \"" + "word ".repeat(40) + "\"}\n");
    String policy = dir.resolve("sft/model").toString();
    assertOneLine(evalWith("--policy", policy), "expected --task sentiment", "--prompts FILE");
    assertOneLine(evalWith("--prompts", empty.toString(), "--policy", policy),
        empty + ": no prompts");
    assertOneLine(evalWith("--prompts", malformed.toString(), "--policy", policy),
        malformed + ":2");
    assertOneLine(evalWith("--prompts", tooLong.toString(), "--policy", policy),
        tooLong + ":2", "rlhf4j.eval.max-new-tokens = 6");
    assertOneLine(evalWith("--prompts", dir.resolve("missing.jsonl").toString(), "--policy",
        policy), "missing.jsonl: no such file");
    assertOneLine(evalWith("--task", "sentiment", "--comparisons",
        dir.resolve("prefs.jsonl").toString(), "--policy", policy), "--comparisons needs "
        + "--reward-model");
  }

  private Rlhf4jCommandTest.Run evalWith(String... args) {
    List<String> all = new ArrayList<>(List.of("eval", "--config", config.toString(), "--out",
        dir.resolve("refused-eval.json").toString()));
    all.addAll(List.of(args));
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run(all.toArray(String[]::new));
    assertFalse(Files.exists(dir.resolve("refused-eval.json")), "a refused eval wrote its report");
    return r;
  }

  @Test
  @Order(7)
  void collectWritesComparisonsThatTheRewardModelTrainsOn() throws IOException {
    Path prefs = dir.resolve("collected/prefs.jsonl");
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("collect", "--task", "sentiment", "--init",
        dir.resolve("sft/model").toString(), "--out", prefs.toString(), "--config",
        config.toString());
    assertEquals(0, r.exit(), r.err());
    JsonNode summary = new ObjectMapper().readTree(r.out());
    assertEquals(4, summary.get("prompts").asInt());
    assertEquals(summary.get("pairs").asInt(), Files.readAllLines(prefs).size());
    assertTrue(summary.get("pairs").asInt() > 0 && summary.get("pairs").asInt() <= 4 * 3);
    ok("rm", "--data", prefs.toString(), "--config", config.toString(), "--out",
        dir.resolve("rm-collected").toString());
  }

  @Test
  void preferenceTrainersOnTheTaskNeedAPolicyToSampleFrom() {
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("rm", "--task", "sentiment", "--config",
        config.toString(), "--out", dir.resolve("rm-task").toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("--init SFT_MODEL"), r.err());
  }

  @Test
  @Order(8)
  void dpoOnTheTaskCollectsItsComparisonsFirst() throws IOException {
    ok("dpo", "--task", "sentiment", "--init", dir.resolve("sft/model").toString(), "--config",
        config.toString(), "--out", dir.resolve("dpo-task").toString());
    assertTrue(Files.size(dir.resolve("dpo-task/comparisons.jsonl")) > 0);
  }

  /** Every file under {@code root} with its bytes, to show a refused command changed nothing. */
  private static java.util.Map<String, String> snapshot(Path root) throws IOException {
    java.util.Map<String, String> files = new java.util.TreeMap<>();
    try (var walk = Files.walk(root)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        files.put(root.relativize(p).toString(), java.util.HexFormat.of().formatHex(
            java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
      }
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
    return files;
  }

  @Test
  @Order(6)
  void sftIntoAPpoRunsDirectoryIsRefusedAndChangesNothing() throws IOException {
    // a PPO run's directory as runs before the kind marker left it
    Path ppo = Files.createDirectories(dir.resolve("ppo-like"));
    Files.write(ppo.resolve("messages.r4jlog"), new byte[] {1, 2, 3, 4});
    Files.writeString(ppo.resolve("config.conf"), "rlhf4j.ppo.iterations = 2\n");
    Files.writeString(ppo.resolve("metrics.jsonl"), "{\"step\":0}\n{\"step\":1}\n");
    Path model = Files.createDirectories(ppo.resolve("model"));
    try (var files = Files.list(dir.resolve("sft/model"))) {
      for (Path f : files.toList()) {
        Files.copy(f, model.resolve(f.getFileName()));
      }
    }
    var before = snapshot(ppo);
    for (String resume : List.of("", "--resume")) {
      List<String> args = new ArrayList<>(List.of("sft", "--data",
          dir.resolve("sft.jsonl").toString(), "--config", config.toString(), "--out",
          ppo.toString()));
      if (!resume.isEmpty()) {
        args.add(resume);
      }
      Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run(args.toArray(String[]::new));
      assertEquals(2, r.exit(), r.err());
      assertEquals("rlhf4j: " + ppo + " holds a ppo run; choose another --out\n",
          r.err().replace(System.lineSeparator(), "\n"));
      assertEquals(before, snapshot(ppo));
    }
  }

  @Test
  @Order(6)
  void dpoIntoAnSftRunsDirectoryIsRefused() throws IOException {
    var before = snapshot(dir.resolve("sft"));
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("dpo", "--resume", "--data",
        dir.resolve("prefs.jsonl").toString(), "--config", config.toString(), "--out",
        dir.resolve("sft").toString(), "--init", dir.resolve("sft/model").toString());
    assertEquals(2, r.exit(), r.err());
    assertEquals("rlhf4j: " + dir.resolve("sft") + " holds an sft run; choose another --out",
        r.err().strip());
    assertEquals(before, snapshot(dir.resolve("sft")));
  }

  @Test
  @Order(7)
  void aResumeSkipsACorruptNewestCheckpointAndSaysSo() throws IOException {
    Path out = dir.resolve("sft-corrupt");
    ok("sft", "--data", dir.resolve("sft.jsonl").toString(), "--config", config.toString(),
        "--out", out.toString());
    Path weights = out.resolve("checkpoints/step-4/model.safetensors");
    byte[] bytes = Files.readAllBytes(weights);
    bytes[bytes.length - 5] ^= 0x01;
    Files.write(weights, bytes);
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("sft", "--resume", "--data",
        dir.resolve("sft.jsonl").toString(), "--config", config.toString(), "--out",
        out.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.err().contains("sft: resume: skipped step-4 (" + weights + ": "), r.err());
    assertEquals(4, Files.readAllLines(out.resolve("metrics.jsonl")).size());
  }

  @Test
  void aBadDataLineExitsTwoNamingFileAndLine() throws IOException {
    Path bad = dir.resolve("bad.jsonl");
    Files.write(bad, List.of("{\"prompt\": \"a\", \"completion\": \"b\"}", "{\"prompt\": 3}"));
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("sft", "--data", bad.toString(), "--config",
        config.toString(), "--out", dir.resolve("bad").toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().startsWith("rlhf4j: " + bad + ":2: "), r.err());
    assertTrue(Files.notExists(dir.resolve("bad/metrics.jsonl")));
  }

  /** A JSONL file {@code name} of {@code lines}. */
  private Path jsonl(String name, List<String> lines) throws IOException {
    return Files.write(dir.resolve(name), lines);
  }

  private Path shortLengths() throws IOException {
    return tinyConfigWith("short.conf", "rlhf4j.sft.max-length = 8\n"
        + "rlhf4j.reward.max-length = 8\nrlhf4j.dpo.max-length = 8\n");
  }

  private static void assertOneLine(Rlhf4jCommandTest.Run r, String... parts) {
    assertEquals(2, r.exit(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    for (String part : parts) {
      assertTrue(r.err().contains(part), "no '" + part + "' in " + r.err());
    }
  }

  @Test
  void sftOnPromptsThatFillMaxLengthIsBadInputNotALossOfZero() throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      lines.add("{\"prompt\": \"a prompt longer than eight " + i + "\", \"completion\": \"x\"}");
    }
    Path data = jsonl("long-prompts.jsonl", lines);
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("sft", "--data", data.toString(), "--config",
        shortLengths().toString(), "--out", dir.resolve("sft-long").toString());
    assertOneLine(r, "rlhf4j: only 0 of 4 examples", "rlhf4j.sft.max-length = 8", data + ":1:",
        "no room for the completion");
    assertTrue(Files.notExists(dir.resolve("sft-long/metrics.jsonl")));
  }

  @Test
  void aFewExamplesThatTeachNothingAreDroppedAndCounted() throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      lines.add("{\"prompt\": \"q" + i + " \", \"completion\": \"a" + i + "\"}");
    }
    lines.add(2, "{\"prompt\": \"a prompt longer than eight\", \"completion\": \"x\"}");
    Path data = jsonl("one-long.jsonl", lines);
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("sft", "--data", data.toString(), "--config",
        shortLengths().toString(), "--out", dir.resolve("sft-one-long").toString());
    assertEquals(0, r.exit(), r.err());
    assertEquals(1, new ObjectMapper().readTree(r.out()).get("dropped").asInt(), r.out());
    assertTrue(r.err().contains("rlhf4j: note: dropped 1 of 5 examples that teach nothing within "
        + "rlhf4j.sft.max-length = 8 tokens (first: " + data + ":3: its prompt is"), r.err());
  }

  @Test
  void rewardModelOnPairsTheLengthMakesAlikeIsBadInput() throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      // the responses differ only after the eighth token, so both sides are scored alike
      lines.add("{\"prompt\": \"p" + i + " \", \"chosen\": \"same start, good\", "
          + "\"rejected\": \"same start, bad\"}");
    }
    Path data = jsonl("alike.jsonl", lines);
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("rm", "--data", data.toString(), "--config",
        shortLengths().toString(), "--out", dir.resolve("rm-alike").toString());
    assertOneLine(r, "only 0 of 4 examples", "rlhf4j.reward.max-length = 8", data + ":1:",
        "chosen and rejected are the same");
  }

  @Test
  void dpoOnPromptsThatFillMaxLengthIsBadInput() throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add("{\"prompt\": \"p \", \"chosen\": \"good\", \"rejected\": \"bad\"}");
    for (int i = 0; i < 3; i++) {
      lines.add("{\"prompt\": \"a prompt longer than eight\", \"chosen\": \"good\", "
          + "\"rejected\": \"bad\"}");
    }
    Path data = jsonl("dpo-long.jsonl", lines);
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("dpo", "--data", data.toString(), "--config",
        shortLengths().toString(), "--out", dir.resolve("dpo-long").toString());
    assertOneLine(r, "only 1 of 4 examples", "rlhf4j.dpo.max-length = 8", data + ":2:");
  }

  @Test
  @Order(5)
  void ppoPromptsThatLeaveNoRoomForAResponseAreRejectedBeforeTheRun() throws IOException {
    Path prompts = jsonl("long-ppo-prompts.jsonl", List.of("{\"prompt\": \"Hi \"}", "",
        "{\"prompt\": \"" + "x".repeat(37) + "\"}"));
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("ppo", "--sync", "--data", prompts.toString(),
        "--config", config.toString(), "--out", dir.resolve("ppo-long").toString(), "--init",
        dir.resolve("sft/model").toString(), "--reward-model", dir.resolve("rm/model").toString());
    assertOneLine(r, prompts + ":3: the prompt is 37 tokens", "rlhf4j.ppo.response-length = 4",
        "context of 40 tokens");
    assertTrue(Files.notExists(dir.resolve("ppo-long/metrics.jsonl")));
  }

  @Test
  void theTasksPromptsFitTheDefaultContextWithTheByteTokenizer() {
    org.rlhf4j.config.RlhfConfig c = org.rlhf4j.config.ConfigLoader.defaults();
    var tok = new org.rlhf4j.model.tokenizer.ByteTokenizer();
    List<int[]> ids = org.rlhf4j.tasks.sentiment.SentimentTask.get().trainPrompts().stream()
        .map(p -> Tokenized.prompt(p, tok)).toList();
    // the byte tokenizer gives the most tokens per prompt; a learned BPE gives fewer
    org.rlhf4j.learner.ExampleFit.checkPromptsFit(ids, c.ppo().responseLength(),
        c.model().contextLength(), i -> "prompt " + i);
  }

  @Test
  void ppoWithoutARewardModelIsAUsageError() {
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("ppo", "--data",
        dir.resolve("prompts.jsonl").toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("--reward-model"), r.err());
  }

  @Test
  void syncWithALagIsAUsageError() {
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("ppo", "--sync", "--max-lag", "2", "--data",
        dir.resolve("prompts.jsonl").toString(), "--reward-model", dir.toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("--max-lag"), r.err());
  }

  @Test
  void replayOfADirectoryWithoutARunIsBadInput() {
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("replay", dir.toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("not a PPO run directory"), r.err());
  }

  @Test
  void dataAndTaskAreExclusive() {
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("sft", "--data", "x.jsonl", "--task",
        "sentiment");
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("mutually exclusive"), r.err());
  }
}
