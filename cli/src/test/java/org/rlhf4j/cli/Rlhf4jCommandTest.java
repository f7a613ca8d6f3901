package org.rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.PpoConfig;
import org.rlhf4j.protocol.FlushPolicy;
import org.rlhf4j.protocol.MessageLogWriter;
import org.rlhf4j.protocol.pb.Credit;
import org.rlhf4j.protocol.pb.LogRecord;
import org.rlhf4j.protocol.pb.Rollout;

class Rlhf4jCommandTest {
  @TempDir Path dir;

  /** What one run of the command printed and returned. */
  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = Rlhf4j.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void helpListsTheSubcommands() {
    Run r = run("--help");
    assertEquals(0, r.exit());
    assertTrue(r.out().contains("config") && r.out().contains("log"), r.out());
  }

  @Test
  void versionComesFromTheBuild() {
    Run r = run("--version");
    assertEquals(0, r.exit());
    assertTrue(r.out().matches("rlhf4j \\d+\\.\\d+\\.\\d+.*\\s*"), r.out());
  }

  @Test
  void anUnknownSubcommandIsAUsageError() {
    assertEquals(2, run("fly").exit());
  }

  @Test
  void aNodeWithABadAddressOrRoleIsAUsageError() {
    Run noPort = run("node", "--join", "learner-host");
    assertEquals(2, noPort.exit());
    assertTrue(noPort.err().contains("--join learner-host: expected HOST:PORT"), noPort.err());
    Run badPort = run("node", "--join", "10.0.0.5:99999");
    assertEquals(2, badPort.exit());
    assertTrue(badPort.err().contains("the port must be a number from 0 to 65535"),
        badPort.err());
    Run badRole = run("node", "--join", "127.0.0.1:25520", "--role", "critic");
    assertEquals(2, badRole.exit());
    assertTrue(badRole.err().contains("--role critic: expected rollout or scorer"),
        badRole.err());
  }

  @Test
  void benchPipelineRefusesMoreNodesThanWorkers() {
    Run r = run("bench", "pipeline", "--workers", "2", "--nodes", "3");
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("--nodes 3: expected 0 to --workers (2)"), r.err());
  }

  @Test
  void benchPipelinesGenerationHeavySettingRunsEveryResponseToItsLength() {
    PpoConfig ppo = ConfigLoader.load(Optional.empty(), BenchCommand.Pipeline.GENERATION_HEAVY)
        .ppo();
    assertEquals(64, ppo.responseLength());
    assertEquals("none", ppo.stopToken());
    assertEquals(1, ppo.epochs());
    // and the command applies it: a missing-EOS penalty is then refused before any work
    Run heavy = run("bench", "pipeline", "--generation-heavy", "--set",
        "ppo.missing-eos-penalty=1", "--init", "nowhere");
    assertEquals(2, heavy.exit(), heavy.err());
    assertTrue(heavy.err().contains("rlhf4j.ppo: missing-eos-penalty (1.0) needs stop-token = "
        + "\"eos\""), heavy.err());
    Run plain = run("bench", "pipeline", "--set", "ppo.missing-eos-penalty=1", "--init",
        "nowhere");
    assertEquals(2, plain.exit(), plain.err());
    assertTrue(plain.err().contains("nowhere: no such model"), plain.err());
  }

  @Test
  void aNodeThatFindsNoLearnerGivesUpAfterItsJoinTimeout() {
    // nothing listens on port 1: the node's bounded wait ends it with exit code 1
    Run r = run("node", "--join", "127.0.0.1:1", "--listen", "127.0.0.1:0", "--join-timeout",
        "2");
    assertEquals(1, r.exit(), r.err());
    assertTrue(r.err().contains("node stopped: no learner answered within the join timeout"),
        r.err());
  }

  @Test
  void aParentCommandWithoutSubcommandIsAUsageError() {
    Run r = run("config");
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("Missing required subcommand"), r.err());
  }

  @Test
  void configShowPrintsTheEffectiveConfiguration() throws IOException {
    Path file = dir.resolve("my.conf");
    Files.writeString(file, "rlhf4j.model.layers = 6\n");
    Run r = run("config", "show", "--config", file.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("layers=6"), r.out());
    assertTrue(r.out().contains("d-model=128"), r.out());
  }

  @Test
  void configShowRejectsAnUnknownKeyWithExitTwo() throws IOException {
    Path file = dir.resolve("typo.conf");
    Files.writeString(file, "rlhf4j.model.layerz = 6\n");
    Run r = run("config", "show", "--config", file.toString());
    assertEquals(2, r.exit());
    assertEquals("rlhf4j: " + file + ":1: rlhf4j.model.layerz: unknown key (did you mean "
        + "rlhf4j.model.layers?); every setting is listed in reference.conf (bin/rlhf4j config show)\n",
        r.err());
    assertEquals("", r.out());
  }

  @Test
  void configShowRejectsAnOutOfRangeValueWithExitTwo() throws IOException {
    Path file = dir.resolve("range.conf");
    Files.writeString(file, "\nrlhf4j.runtime.threads-per-model = 0\n");
    Run r = run("config", "show", "-c", file.toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains(file + ":2: rlhf4j.runtime.threads-per-model: value 0 is out of range"),
        r.err());
  }

  @Test
  void configShowNamesTheLineOfAValueWhereASectionBelongs() throws IOException {
    Path file = dir.resolve("section.conf");
    Files.writeString(file, "rlhf4j.model.layers = 2\nrlhf4j.sft = 5\n");
    Run r = run("config", "show", "--config", file.toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().startsWith("rlhf4j: " + file + ":2: rlhf4j.sft: is a section of settings"),
        r.err());
    assertEquals(1, r.err().lines().count(), r.err());
  }

  @Test
  void configShowNamesTheLineOfAnIncludeOfAMissingFile() throws IOException {
    Path file = dir.resolve("including.conf");
    Files.writeString(file, "rlhf4j.model.layers = 2\ninclude \"other.conf\"\n");
    Run r = run("config", "show", "--config", file.toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().startsWith("rlhf4j: " + file + ":2: include \"other.conf\": no such file"),
        r.err());
  }

  @Test
  void configShowNamesKeyAndLineOfANumberBeyondADouble() throws IOException {
    Path file = dir.resolve("huge.conf");
    Files.writeString(file, "rlhf4j {\n  sft.steps = 1e400\n}\n");
    Run r = run("config", "show", "--config", file.toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().startsWith("rlhf4j: " + file + ":2: rlhf4j.sft.steps: value is out of range"),
        r.err());
  }

  @Test
  void configShowNamesAMissingFile() {
    Run r = run("config", "show", "--config", dir.resolve("absent.conf").toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("absent.conf"), r.err());
  }

  @Test
  void logInspectCountsRecordsByType() throws IOException {
    Path log = writeLog();
    Run r = run("log", "inspect", log.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("3 records"), r.out());
    assertTrue(r.out().contains("every CRC32C verified"), r.out());
    assertTrue(r.out().matches("(?s).*credit\\s+2\\n.*rollout\\s+1\\n.*"), r.out());
  }

  @Test
  void logInspectReportsTheOffsetOfACorruptedRecordWithExitTwo() throws IOException {
    Path log = writeLog();
    byte[] bytes = Files.readAllBytes(log);
    bytes[bytes.length - 2] ^= 0x10;
    Files.write(log, bytes);
    Run r = run("log", "inspect", log.toString());
    assertEquals(2, r.exit());
    assertTrue(r.out().contains("2 records"), r.out());
    assertTrue(r.err().matches("rlhf4j: .*corrupted message log at offset \\d+: CRC32C mismatch.*\\n"),
        r.err());
  }

  @Test
  void logInspectReportsATornTail() throws IOException {
    Path log = writeLog();
    byte[] bytes = Files.readAllBytes(log);
    Files.write(log, java.util.Arrays.copyOf(bytes, bytes.length - 3));
    Run r = run("log", "inspect", log.toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("torn record"), r.err());
  }

  @Test
  void logInspectNamesAMissingFile() {
    Run r = run("log", "inspect", dir.resolve("none.log").toString());
    assertEquals(2, r.exit());
    assertEquals("rlhf4j: " + dir.resolve("none.log") + ": no such file\n", r.err());
  }

  private Path writeLog() throws IOException {
    Path log = dir.resolve("run.log");
    try (MessageLogWriter w = MessageLogWriter.create(log, FlushPolicy.BUFFERED)) {
      w.write(LogRecord.newBuilder().setSequence(0)
          .setCredit(Credit.newBuilder().setConsumerId("w0").setAmount(2)).build());
      w.write(LogRecord.newBuilder().setSequence(1)
          .setRollout(Rollout.newBuilder().setRolloutId(9).addResponseIds(3)).build());
      w.write(LogRecord.newBuilder().setSequence(2)
          .setCredit(Credit.newBuilder().setConsumerId("w1").setAmount(1)).build());
    }
    return log;
  }

  @Test
  void benchGeneratePrintsOneJsonLineWithThePeersKeys() throws Exception {
    Run r = run("bench", "generate", "--size", "S", "--seconds", "0");
    assertEquals(0, r.exit(), r.err());
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
    assertEquals("S", json.get("config").asText());
    assertEquals(445_952, json.get("params").asLong());
    assertEquals(1, json.get("threads").asInt());
    assertTrue(json.get("gen_tokens_per_s").asLong() > 0, r.out());
  }

  @Test
  void benchTrainPrintsOneJsonLineWithThePeersKeys() throws Exception {
    Run r = run("bench", "train", "--size", "s", "--seconds", "0", "--threads", "2");
    assertEquals(0, r.exit(), r.err());
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
    assertEquals(445_952, json.get("params").asLong());
    assertEquals(2, json.get("threads").asInt());
    assertTrue(json.get("train_tokens_per_s").asLong() > 0, r.out());
  }

  @Test
  void benchTrainTimesItsKernelsOnlyWhenProfiled() throws Exception {
    Run plain = run("bench", "train", "--size", "S", "--seconds", "0");
    assertEquals(0, plain.exit(), plain.err());
    assertFalse(plain.err().contains("ms per step"), plain.err());
    Run profiled = run("bench", "train", "--size", "S", "--seconds", "0", "--profile");
    assertEquals(0, profiled.exit(), profiled.err());
    for (String kernel : List.of("ms per step", "matmul", "gelu", "attention", "ND4J ops")) {
      assertTrue(profiled.err().contains(kernel), kernel + " in " + profiled.err());
    }
  }

  @Test
  void benchTrainWithLoraTrainsAndStoresMomentsForTheAdaptersOnly() throws Exception {
    Run r = run("bench", "train", "--size", "S", "--seconds", "0", "--lora-rank", "8");
    assertEquals(0, r.exit(), r.err());
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
    // 2 blocks × c_attn's A (8 × 128) and B (384 × 8)
    long adapters = 2 * (8 * 128 + 384 * 8);
    assertEquals(445_952 + adapters, json.get("params").asLong());
    assertEquals(adapters, json.get("trainable_params").asLong());
    assertEquals(2 * 4 * adapters, json.get("optimizer_bytes").asLong());
    assertEquals(8, json.get("lora_rank").asInt());
    assertTrue(json.get("train_tokens_per_s").asLong() > 0, r.out());
    Run bad = run("bench", "train", "--size", "S", "--lora-rank", "-1");
    assertEquals(2, bad.exit());
    assertTrue(bad.err().contains("--lora-rank"), bad.err());
  }

  @Test
  void benchBroadcastSendsAVersionThroughAClusterAndPrintsItsRate() throws Exception {
    Run r = run("bench", "broadcast", "--size", "S", "--nodes", "1", "--chunk-bytes", "16384");
    assertEquals(0, r.exit(), r.err());
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
    assertEquals(445_952L * 4, json.get("bytes").asLong());
    assertEquals(1, json.get("nodes").asInt());
    assertTrue(json.get("mb_per_s").asDouble() > 0, r.out());
    assertEquals(3, json.get("version_seconds").size(), r.out());
    double[] timed = new double[3];
    for (int i = 0; i < 3; i++) {
      timed[i] = json.get("version_seconds").get(i).asDouble();
    }
    java.util.Arrays.sort(timed);
    assertEquals(timed[1], json.get("seconds").asDouble(), 1e-9, "seconds is the median");
    Run bad = run("bench", "broadcast", "--window", "0");
    assertEquals(2, bad.exit());
    assertTrue(bad.err().startsWith("rlhf4j: --nodes and --window: expected at least 1"),
        bad.err());
  }

  @Test
  void benchRejectsAnUnknownSizeWithExitTwo() {
    Run r = run("bench", "train", "--size", "XL");
    assertEquals(2, r.exit());
    assertEquals("rlhf4j: --size XL: expected S, M or G\n", r.err());
  }

  @Test
  void benchRefusesTheOldConfigSpellingOfTheSizeWithTheNewOne() {
    for (String bench : List.of("train", "generate", "broadcast")) {
      Run r = run("bench", bench, "--config", "G");
      assertEquals(2, r.exit(), r.err());
      assertEquals("rlhf4j: --config G: the model size is --size S|M|G (--config names a HOCON "
          + "file elsewhere); did you mean --size G?\n", r.err());
      assertEquals("", r.out(), "nothing was measured");
    }
  }

  @Test
  void configShowPutsSetAndSeedOverTheFileAndSaysWhereEachCameFrom() throws IOException {
    Path file = dir.resolve("my.conf");
    Files.writeString(file, "rlhf4j.ppo { kl-coef = 0.3, epochs = 2 }\n");
    Run r = run("config", "show", "--config", file.toString(), "--set", "ppo.kl-coef=0.2",
        "--set", "rlhf4j.ppo.advantage=rloo", "--seed", "9");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("# set in --set ppo.kl-coef=0.2 (default 0.05)\n"
        + "        kl-coef=0.2\n"), r.out());
    assertTrue(r.out().contains("advantage=rloo"), r.out());
    assertTrue(r.out().contains("# set in " + file + ":1 (default 4)\n        epochs=2\n"),
        r.out());
    assertTrue(r.out().contains("# set in --seed 9 (default 1234)\n        seed=9\n"), r.out());
  }

  /** Every training and evaluation command with the options it needs to reach its work. */
  static Stream<List<String>> trainingAndEvaluationCommands() {
    return Stream.of(List.of("sft", "--task", "sentiment"),
        List.of("rm", "--task", "sentiment", "--init", "nowhere"),
        List.of("dpo", "--task", "sentiment", "--init", "nowhere"),
        List.of("ppo", "--task", "sentiment", "--reward-model", "nowhere"),
        List.of("collect", "--task", "sentiment", "--init", "nowhere"),
        List.of("eval", "--task", "sentiment", "--policy", "nowhere"),
        List.of("generate", "--model", "nowhere", "--prompt", "hi"),
        List.of("demo", "--quick"),
        List.of("bench", "pipeline", "--init", "nowhere"));
  }

  @ParameterizedTest
  @MethodSource("trainingAndEvaluationCommands")
  void aSetOfAnUnknownKeyIsOneLineNamingTheNearestKeyBeforeAnyWork(List<String> command) {
    Run r = runIn(command, "--set", "ppo.kl-cof=0.2");
    assertEquals(2, r.exit(), r.err());
    assertEquals("rlhf4j: --set ppo.kl-cof=0.2: rlhf4j.ppo.kl-cof: unknown key (did you mean "
        + "rlhf4j.ppo.kl-coef?); every setting is listed in reference.conf (bin/rlhf4j config "
        + "show)\n", r.err());
    assertFalse(Files.exists(dir.resolve("out")), "the command wrote before checking");
  }

  @ParameterizedTest
  @MethodSource("trainingAndEvaluationCommands")
  void aSetOrSeedOfABadValueIsOneLineSayingWhatWasExpected(List<String> command) {
    Run word = runIn(command, "--set", "rlhf4j.ppo.kl-coef=big");
    assertEquals(2, word.exit(), word.err());
    assertEquals("rlhf4j: --set rlhf4j.ppo.kl-coef=big: rlhf4j.ppo.kl-coef: expected a number in "
        + "[0.0, 1000000.0], got \"big\"\n", word.err());
    Run seed = runIn(command, "--seed", "-1");
    assertEquals(2, seed.exit(), seed.err());
    assertEquals("rlhf4j: --seed -1: rlhf4j.run.seed: value -1 is out of range: expected an "
        + "integer from 0 to 9223372036854775807\n", seed.err());
    assertFalse(Files.exists(dir.resolve("out")), "the command wrote before checking");
  }

  /** {@code command} writing under dir/out (which a refusal must not create), and {@code more}. */
  private Run runIn(List<String> command, String... more) {
    // collect, eval and generate write a file, the others a run directory
    String out = switch (command.get(0)) {
      case "collect", "eval", "generate" -> "out/" + command.get(0) + ".json";
      default -> "out";
    };
    List<String> args = new ArrayList<>(command);
    args.addAll(List.of("--out", dir.resolve(out).toString()));
    args.addAll(List.of(more));
    return run(args.toArray(String[]::new));
  }
}
