package org.rlhf4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OverridesTest {
  @TempDir Path dir;

  @Test
  void aSettingGoesOverTheFileWithOrWithoutItsPrefix() throws IOException {
    Path file = Files.writeString(dir.resolve("my.conf"),
        "rlhf4j.ppo { kl-coef = 0.3, epochs = 2 }\n");
    RlhfConfig c = ConfigLoader.load(Optional.of(file), Overrides.none()
        .set("ppo.kl-coef=0.2").set("rlhf4j.ppo.advantage=rloo").set("ppo.whiten-rewards=true"));
    assertEquals(0.2, c.ppo().klCoef());
    assertEquals("rloo", c.ppo().advantage());
    assertTrue(c.ppo().whitenRewards());
    assertEquals(2, c.ppo().epochs(), "the file's other settings stand");
  }

  @Test
  void theLastSettingOfAKeyWins() {
    RlhfConfig c = ConfigLoader.load(Optional.empty(), Overrides.none()
        .with("rlhf4j.ppo.iterations", 40, "--quick").set("ppo.iterations=7")
        .set("run.name=\"a b\"").set("run.name=mine"));
    assertEquals(7, c.ppo().iterations());
    assertEquals("mine", c.run().name());
  }

  @Test
  void theCommandLineBeatsTheFileWhichBeatsACommandsUnderlay() throws IOException {
    Path file = Files.writeString(dir.resolve("my.conf"), "rlhf4j.sft.steps = 7\n");
    RlhfConfig c = ConfigLoader.load(Optional.of(file), Map.of("rlhf4j.sft.steps", 1200,
        "rlhf4j.sft.batch-size", 32), "the demo", Overrides.none().set("sft.batch-size=4"));
    assertEquals(7, c.sft().steps());
    assertEquals(4, c.sft().batchSize());
  }

  @Test
  void anUnknownKeyIsNamedWithTheSettingAndTheNearestKnownKey() {
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> Overrides.none().set("ppo.kl-cof=0.2"));
    assertEquals("rlhf4j.ppo.kl-cof", e.key());
    assertTrue(e.getMessage().startsWith("--set ppo.kl-cof=0.2: rlhf4j.ppo.kl-cof: unknown key "
        + "(did you mean rlhf4j.ppo.kl-coef?)"), e.getMessage());
  }

  @Test
  void aBadValueIsNamedWithTheSettingAndWhatWasExpected() {
    InvalidConfigException word = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.load(Optional.empty(), Overrides.none().set("ppo.kl-coef=big")));
    assertEquals("--set ppo.kl-coef=big: rlhf4j.ppo.kl-coef: expected a number in [0.0, "
        + "1000000.0], got \"big\"", word.getMessage());
    InvalidConfigException range = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.load(Optional.empty(), Overrides.none().set("model.layers=0")));
    assertEquals("--set model.layers=0: rlhf4j.model.layers: value 0 is out of range: expected "
        + "an integer from 1 to 1024", range.getMessage());
    InvalidConfigException cross = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.load(Optional.empty(), Overrides.none().set("model.heads=3")));
    assertTrue(cross.getMessage().startsWith("--set model.heads=3: rlhf4j.model: d-model (128) "
        + "must be divisible by heads (3)"), cross.getMessage());
  }

  @Test
  void loraSettingsTakeAListOfPeftModuleNamesAndRefuseOthers() {
    RlhfConfig c = ConfigLoader.load(Optional.empty(), Overrides.none().set("lora.enabled=true")
        .set("lora.rank=16").set("lora.target-modules=[c_attn, mlp.c_proj]"));
    assertTrue(c.lora().enabled());
    assertEquals(2.0 * 8 / 16, 2 * c.lora().scale(), "alpha 8 (PEFT's default) over rank 16");
    assertEquals(java.util.List.of("c_attn", "mlp.c_proj"), c.lora().targetModules());
    assertTrue(c.lora().targets("attn.c_attn") && c.lora().targets("mlp.c_proj"));
    assertTrue(!c.lora().targets("attn.c_proj"), "mlp.c_proj names only the MLP's projection");
    InvalidConfigException unknown = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.load(Optional.empty(), Overrides.none().set("lora.target-modules=[q_proj]")));
    assertTrue(unknown.getMessage().startsWith("--set lora.target-modules=[q_proj]: "
        + "rlhf4j.lora.target-modules: \"q_proj\" is not allowed: expected some of c_attn, "),
        unknown.getMessage());
    InvalidConfigException single = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.load(Optional.empty(), Overrides.none().set("lora.target-modules=c_fc")));
    assertTrue(single.getMessage().contains("expected a list of strings such as [c_attn]"),
        single.getMessage());
    assertThrows(InvalidConfigException.class, () -> Overrides.none().set("lora.target-modules=[c_fc"));
  }

  @Test
  void anAssignmentWithoutKeyOrValueOrWithASectionIsRefused() {
    assertEquals("--set ppo.kl-coef: expected KEY=VALUE, such as --set ppo.kl-coef=0.1 (every "
        + "KEY is listed by bin/rlhf4j config show)", assertThrows(InvalidConfigException.class,
            () -> Overrides.none().set("ppo.kl-coef")).getMessage());
    assertThrows(InvalidConfigException.class, () -> Overrides.none().set("=3"));
    assertTrue(assertThrows(InvalidConfigException.class, () -> Overrides.none().set("ppo=5"))
        .getMessage().startsWith("--set ppo=5: rlhf4j.ppo: is a section of settings"));
    assertTrue(assertThrows(InvalidConfigException.class,
        () -> Overrides.none().set("ppo..kl-coef=1")).getMessage().contains("not a key"));
    assertTrue(assertThrows(InvalidConfigException.class,
        () -> Overrides.none().set("run.name=\"open")).getMessage()
        .startsWith("--set run.name=\"open: rlhf4j.run.name: expected one value"));
  }

  @Test
  void theRenderedConfigurationSaysWhichSettingReplacedADefault() {
    String shown = ConfigLoader.render(ConfigLoader.load(Optional.empty(),
        Overrides.none().set("ppo.kl-coef=0.2").with("rlhf4j.run.seed", 7L, "--seed 7")));
    assertTrue(shown.contains("# set in --set ppo.kl-coef=0.2 (default 0.05)\n"), shown);
    assertTrue(shown.contains("kl-coef=0.2\n"), shown);
    assertTrue(shown.contains("# set in --seed 7 (default 1234)\n"), shown);
    RlhfConfig again = ConfigLoader.parse(shown, "config.conf");
    assertEquals(0.2, again.ppo().klCoef());
    assertEquals(7, again.run().seed());
  }
}
