package org.rlhf4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rlhf4j.protocol.FlushPolicy;

class ConfigLoaderTest {
  @TempDir Path dir;

  @Test
  void defaultsBuildEveryRecord() {
    RlhfConfig c = ConfigLoader.defaults();
    assertEquals(new ModelConfig(260, 128, 128, 2, 4, 1e-5), c.model());
    assertEquals(new RunConfig("default", 1234), c.run());
    assertEquals(new RuntimeConfig(1, 2, false), c.runtime());
    assertEquals(new MessageLogConfig(FlushPolicy.FLUSH, 1 << 30), c.log());
    assertEquals(32, c.model().headSize());
  }

  @Test
  void commandLineOverridesReplaceSettingsAndAreCheckedAgain() {
    RlhfConfig base = ConfigLoader.defaults();
    RlhfConfig c = ConfigLoader.withOverrides(base,
        java.util.Map.of("rlhf4j.async.workers", 3, "rlhf4j.async.max-lag", 0), "the command line");
    assertEquals(3, c.async().workers());
    assertEquals(0, c.async().maxLag());
    assertEquals(base.ppo(), c.ppo());
    assertTrue(ConfigLoader.render(c).contains("the command line"), ConfigLoader.render(c));
    InvalidConfigException bad = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.withOverrides(base, java.util.Map.of("rlhf4j.async.workers", -1), "x"));
    assertTrue(bad.getMessage().contains("rlhf4j.async.workers"), bad.getMessage());
    assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.withOverrides(base, java.util.Map.of("rlhf4j.async.wrokers", 2), "x"));
  }

  @Test
  void aCommandsUnderlayGivesWayToTheUsersFile() throws IOException {
    Path file = write("rlhf4j.sft.steps = 7\n");
    java.util.Map<String, Object> under = java.util.Map.of("rlhf4j.sft.steps", 1200,
        "rlhf4j.sft.batch-size", 32);
    RlhfConfig c = ConfigLoader.load(Optional.of(file), under, "the demo");
    assertEquals(7, c.sft().steps(), "the user's file wins");
    assertEquals(32, c.sft().batchSize(), "the underlay beats reference.conf");
    assertEquals(32, ConfigLoader.load(Optional.empty(), under, "the demo").sft().batchSize());
  }

  @Test
  void everyDefaultCarriesAComment() {
    for (var e : ConfigLoader.reference().getConfig("rlhf4j").entrySet()) {
      assertFalse(e.getValue().origin().comments().isEmpty(), "no comment on rlhf4j." + e.getKey());
    }
  }

  @Test
  void aUserFileOverridesTheDefaults() throws IOException {
    Path file = write("rlhf4j.model { layers = 4, heads = 8 }\nrlhf4j.log.flush = fsync\n");
    RlhfConfig c = ConfigLoader.load(Optional.of(file));
    assertEquals(4, c.model().layers());
    assertEquals(8, c.model().heads());
    assertEquals(FlushPolicy.FSYNC, c.log().flush());
    assertEquals(128, c.model().dModel());
    String shown = ConfigLoader.render(c);
    assertTrue(shown.contains("# Transformer blocks (GPT-2 small: 12).\n"
        + "        # set in " + file + ":1 (default 2)\n        layers=4\n"), shown);
    assertTrue(shown.contains("# Width of the residual stream (GPT-2 small: 768).\n"
        + "        d-model=128\n"), shown);
  }

  @Test
  void anOverriddenListRendersAsAFileThatReadsBack() {
    RlhfConfig c = ConfigLoader.withOverrides(ConfigLoader.defaults(),
        java.util.Map.of("rlhf4j.lora.target-modules", java.util.List.of("c_attn", "c_fc")),
        "the command line");
    String shown = ConfigLoader.render(c);
    assertTrue(shown.contains("(default [\"c_attn\"])"), shown);
    assertEquals(java.util.List.of("c_attn", "c_fc"),
        ConfigLoader.parse(shown, "rendered").lora().targetModules());
  }

  @Test
  void settingsLeftOutOfARenderingAreMissingFromItAndTheRestStays() {
    String shown = ConfigLoader.render(ConfigLoader.defaults(),
        java.util.List.of("rlhf4j.optimizer.learning-rate"));
    assertFalse(shown.contains("learning-rate="), shown);
    assertTrue(shown.contains("warmup-steps=20"), shown);
    assertTrue(ConfigLoader.parse(shown, "rendered").optimizer().learningRate() > 0,
        "what is left out falls back to its default when the file is read");
  }

  @Test
  void anUnknownKeyIsNamedWithItsFileLineAndTheNearestKnownKey() throws IOException {
    Path file = write("rlhf4j {\n  model {\n    layer = 3\n  }\n}\n");
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.load(file));
    assertEquals("rlhf4j.model.layer", e.key());
    assertTrue(e.getMessage().startsWith(file + ":3: rlhf4j.model.layer: unknown key"),
        e.getMessage());
    assertTrue(e.getMessage().contains("did you mean rlhf4j.model.layers?"), e.getMessage());
  }

  @Test
  void anUnknownSectionIsRejectedWithoutAFarFetchedSuggestion() {
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j.telemetry.endpoint = \"http://x\"", "my.conf"));
    assertEquals("rlhf4j.telemetry", e.key());
    assertFalse(e.getMessage().contains("did you mean"), e.getMessage());
  }

  @Test
  void keysOutsideRlhf4jPassThroughForPekko() {
    RlhfConfig c = ConfigLoader.parse("pekko.loglevel = DEBUG", "my.conf");
    assertEquals("DEBUG", c.source().getString("pekko.loglevel"));
  }

  @Test
  void anOutOfRangeValueNamesKeyValueAndRange() throws IOException {
    Path file = write("rlhf4j.model.layers = 0\n");
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.load(file));
    assertEquals(file + ":1: rlhf4j.model.layers: value 0 is out of range: expected an integer"
        + " from 1 to 1024", e.getMessage());
  }

  @Test
  void aWrongTypeSaysWhatWasExpected() {
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j.model.layers = two", "my.conf"));
    assertEquals("my.conf:1: rlhf4j.model.layers: expected an integer from 1 to 1024, got \"two\"",
        e.getMessage());
  }

  @Test
  void aFractionIsNotAnInteger() {
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j.model.heads = 2.5", "my.conf"));
    assertTrue(e.getMessage().contains("rlhf4j.model.heads: value 2.5 is not whole"), e.getMessage());
  }

  @Test
  void aDoubleOutsideItsOpenIntervalIsRejected() {
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j.model.layer-norm-epsilon = 0", "my.conf"));
    assertTrue(e.getMessage().contains("expected a number in (0.0, 1.0]"), e.getMessage());
  }

  @Test
  void anEnumeratedValueListsWhatIsAllowed() {
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j.log.flush = sometimes", "my.conf"));
    assertTrue(e.getMessage().endsWith(
        "rlhf4j.log.flush: value \"sometimes\" is not allowed: expected one of buffered, flush, fsync"),
        e.getMessage());
  }

  @Test
  void aCrossFieldCheckNamesTheSectionAndBothValues() {
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j.model { d-model = 100, heads = 3 }", "my.conf"));
    assertEquals("rlhf4j.model", e.key());
    assertEquals("my.conf:1: rlhf4j.model: d-model (100) must be divisible by heads (3)",
        e.getMessage());
  }

  @Test
  void optimizerAndSftDefaultsFollowNanoGptAndTrl() {
    RlhfConfig c = ConfigLoader.defaults();
    assertEquals("cosine", c.optimizer().schedule());
    assertEquals(0.95, c.optimizer().beta2());
    assertTrue(c.sft().completionOnly());
  }

  @Test
  void ppoAndDpoDefaultsAreTrls() {
    RlhfConfig c = ConfigLoader.defaults();
    assertEquals(0.2, c.ppo().cliprange());
    assertEquals(0.2, c.ppo().cliprangeValue());
    assertEquals(0.1, c.ppo().vfCoef());
    assertEquals(1.0, c.ppo().gamma());
    assertEquals(0.95, c.ppo().lambda());
    assertEquals(0.05, c.ppo().klCoef());
    assertEquals(4, c.ppo().epochs());
    assertEquals(0.1, c.dpo().beta());
    assertEquals("sigmoid", c.dpo().loss());
  }

  @Test
  void grpoPutsTheKlInTheLossAsTrlUnlessToldToFoldItIntoTheReward() {
    assertEquals(new GrpoConfig("loss", "group"), ConfigLoader.defaults().ppo().grpo());
    assertTrue(ConfigLoader.defaults().ppo().grpo().klInLoss());
    assertFalse(ConfigLoader.parse("rlhf4j.ppo.grpo.kl-in = reward", "my.conf").ppo().grpo()
        .klInLoss());
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j.ppo {\n  grpo.kl-in = foo\n}", "my.conf"));
    assertEquals("my.conf:2: rlhf4j.ppo.grpo.kl-in: value \"foo\" is not allowed: "
        + "expected one of reward, loss", e.getMessage());
  }

  @Test
  void grpoScalesRewardsByTheGroupsDeviationUnlessToldOtherwise() {
    assertEquals("group", ConfigLoader.defaults().ppo().grpo().scaleRewards());
    assertEquals("none", ConfigLoader.parse("rlhf4j.ppo.grpo { scale-rewards = none }", "my.conf")
        .ppo().grpo().scaleRewards());
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j.ppo.grpo.scale-rewards = global", "my.conf"));
    assertEquals("my.conf:1: rlhf4j.ppo.grpo.scale-rewards: value \"global\" is not allowed: "
        + "expected one of group, batch, none", e.getMessage());
    InvalidConfigException typo = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j.ppo.grpo.scale-reward = batch", "my.conf"));
    assertTrue(typo.getMessage().contains("did you mean rlhf4j.ppo.grpo.scale-rewards?"),
        typo.getMessage());
  }

  @Test
  void aResponseEndsAtEosUnlessEveryOneIsToRunToItsLength() {
    assertEquals("eos", ConfigLoader.defaults().ppo().stopToken());
    assertEquals("none", ConfigLoader.parse("rlhf4j.ppo.stop-token = none", "my.conf").ppo()
        .stopToken());
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j.ppo.stop-token = EOS", "my.conf"));
    assertEquals("my.conf:1: rlhf4j.ppo.stop-token: value \"EOS\" is not allowed: "
        + "expected one of eos, none", e.getMessage());
    InvalidConfigException penalty = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse(
            "rlhf4j.ppo {\n  missing-eos-penalty = 1.0\n  stop-token = none\n}", "my.conf"));
    assertEquals("my.conf:2: rlhf4j.ppo: missing-eos-penalty (1.0) needs stop-token = \"eos\": "
        + "with \"none\" no response ends with EOS, so every one would be penalised",
        penalty.getMessage());
  }

  @Test
  void ppoBatchMustSplitIntoMinibatches() {
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j.ppo { batch-size = 10, minibatches = 3 }", "my.conf"));
    assertEquals("my.conf:1: rlhf4j.ppo: batch-size (10) must be divisible by minibatches (3)",
        e.getMessage());
  }

  @Test
  void robustDpoNeedsANoiseRateBelowAHalf() {
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j.dpo { loss = robust, label-smoothing = 0.6 }", "my.conf"));
    assertEquals("rlhf4j.dpo.label-smoothing", e.key());
  }

  @Test
  void aRunNameMustBeUsableAsADirectory() {
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j.run.name = \"../etc\"", "my.conf"));
    assertEquals("rlhf4j.run", e.key());
  }

  @Test
  void aSyntaxErrorNamesTheFileAndLine() throws IOException {
    Path file = write("rlhf4j {\n  model {\n    layers = \n");
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.load(file));
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(": 3") || e.getMessage().contains(": 4"), e.getMessage());
  }

  @Test
  void aMissingFileIsNamed() {
    Path missing = dir.resolve("nope.conf");
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.load(missing));
    assertEquals(missing + ": no such file (a HOCON configuration file was expected)",
        e.getMessage());
  }

  @Test
  void aValueWhereASectionBelongsNamesFileLineAndKey() throws IOException {
    Path file = write("rlhf4j.model.layers = 2\nrlhf4j.sft = 5\n");
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.load(file));
    assertEquals("rlhf4j.sft", e.key());
    assertTrue(e.getMessage().startsWith(file + ":2: rlhf4j.sft: is a section of settings"),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("got 5"), e.getMessage());
  }

  @Test
  void aSectionWhereAValueBelongsIsRejected() {
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j.sft.steps { x = 1 }", "my.conf"));
    assertEquals("my.conf:1: rlhf4j.sft.steps: expected a single value (default 300), got a section",
        e.getMessage());
  }

  @Test
  void aNumberTooLargeForADoubleIsOutOfRangeNotAParserError() throws IOException {
    Path file = write("rlhf4j.sft {\n  steps = 1e400\n}\n");
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.load(file));
    assertEquals(file + ":2: rlhf4j.sft.steps: value is out of range (beyond about 1.8e308, "
        + "read as infinity): expected an integer from 1 to 100000000", e.getMessage());
    InvalidConfigException d = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j.dpo.beta = 1e400", "my.conf"));
    assertTrue(d.getMessage().startsWith("my.conf:1: rlhf4j.dpo.beta: value is out of range (beyond"),
        d.getMessage());
  }

  @Test
  void anIncludeOfAMissingFileNamesTheIncludingFileAndLine() throws IOException {
    Path file = write("rlhf4j.sft.steps = 3\ninclude \"absent.conf\"\n");
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.load(file));
    assertTrue(e.getMessage().startsWith(file + ":2: include \"absent.conf\": no such file"),
        e.getMessage());
  }

  @Test
  void aMissingFileIncludedByAnIncludedFileNamesTheInnerFile() throws IOException {
    Path inner = dir.resolve("inner.conf");
    Files.writeString(inner, "\n\ninclude file(\"gone.conf\")\n");
    Path file = write("include \"inner.conf\"\n");
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.load(file));
    assertTrue(e.getMessage().startsWith(inner + ":3: include \"gone.conf\": no such file"),
        e.getMessage());
  }

  @Test
  void anIncludedFileThatExistsIsRead() throws IOException {
    Files.writeString(dir.resolve("base.conf"), "rlhf4j.sft.steps = 9\n");
    Path file = write("include \"base.conf\"\nrlhf4j.sft.batch-size = 3\n");
    RlhfConfig c = ConfigLoader.load(file);
    assertEquals(9, c.sft().steps());
    assertEquals(3, c.sft().batchSize());
  }

  @Test
  void clusterTlsIsOffByDefaultAndNamesItsPasswordVariables() {
    assertEquals(new ClusterTlsConfig(false, "", "", "RLHF4J_KEY_STORE_PASSWORD",
        "RLHF4J_TRUST_STORE_PASSWORD"), ConfigLoader.defaults().clusterTls());
    ClusterTlsConfig on = ConfigLoader.parse("rlhf4j.cluster.tls { enabled = true,"
        + " key-store = node.p12, trust-store = ca.p12, key-store-password-env = NODE_PW }",
        "my.conf").clusterTls();
    assertEquals(new ClusterTlsConfig(true, "node.p12", "ca.p12", "NODE_PW",
        "RLHF4J_TRUST_STORE_PASSWORD"), on);
  }

  @Test
  void clusterTlsOnWithoutAKeyStoreSaysWhatIsNeeded() {
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j.cluster.tls {\n  enabled = true\n  trust-store = ca.p12\n}",
            "my.conf"));
    assertEquals("my.conf:2: rlhf4j.cluster.tls: enabled = true needs key-store: expected the"
        + " path of a PKCS12 key store with this node's key and certificate", e.getMessage());
  }

  @Test
  void aPasswordInPlaceOfAVariableNameIsRejected() {
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j.cluster.tls.key-store-password-env = \"s3cret!\"",
            "my.conf"));
    assertEquals("my.conf:1: rlhf4j.cluster.tls: key-store-password-env is not the name of an"
        + " environment variable: expected letters, digits and _, the name of the variable that"
        + " holds the password, never the password itself", e.getMessage());
  }

  @Test
  void rlhf4jMustBeAnObject() {
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.parse("rlhf4j = 3", "my.conf"));
    assertEquals("rlhf4j", e.key());
  }

  @Test
  void editDistanceCountsInsertionsDeletionsAndSubstitutions() {
    assertEquals(0, KeySuggestion.distance("layers", "layers"));
    assertEquals(1, KeySuggestion.distance("layer", "layers"));
    assertEquals(1, KeySuggestion.distance("lazers", "layers"));
    assertEquals(3, KeySuggestion.distance("kitten", "sitting"));
  }

  private Path write(String text) throws IOException {
    Path file = dir.resolve("user-" + System.nanoTime() + ".conf");
    Files.writeString(file, text);
    return file;
  }
}
