package org.rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.RlhfConfig;

class DemoConfigFileTest {
  @TempDir Path dir;

  /** Every stage's configuration as the demo builds it, with {@code file} as --config. */
  private static Map<String, RlhfConfig> stages(DemoPlan plan, Optional<Path> file) {
    Map<String, RlhfConfig> stages = new LinkedHashMap<>();
    DemoPlan.STAGES.forEach(s -> stages.put(s, ConfigLoader.load(file, plan.of(s),
        plan.origin())));
    return stages;
  }

  @Test
  void eachStagesSectionIsWhatThatStageRan() {
    DemoPlan plan = DemoPlan.quick();
    String text = DemoConfigFile.render(plan.name(), stages(plan, Optional.empty()),
        plan.origin());
    RlhfConfig read = ConfigLoader.parse(text, "config.conf");
    assertEquals(2000, read.sft().steps(), "the default's 300 is not what SFT ran");
    assertEquals(40, read.ppo().iterations());
    assertEquals(0.4, read.ppo().klCoef());
    assertEquals(0, read.async().maxLag());
    assertEquals(300, read.reward().steps());
    assertEquals(0.1, read.dpo().beta());
    assertEquals(0.05, read.dpo().rpoAlpha());
    assertEquals(8192, read.model().vocabSize());
    assertTrue(text.contains("# set in the demo's quick plan (default 300)\n"
        + "        steps=2000\n"), text);
  }

  @Test
  void aSettingTheStagesRanDifferentlyIsLeftOutAndEachValueListed() {
    DemoPlan plan = DemoPlan.full();
    String text = DemoConfigFile.render(plan.name(), stages(plan, Optional.empty()),
        plan.origin());
    assertFalse(text.contains("learning-rate="), "no one learning rate is what ran: " + text);
    assertTrue(text.contains("#   rlhf4j.optimizer.learning-rate: 0.001 (sft, rm), 3.0E-4 "
        + "(collect, dpo, eval), 6.0E-4 (ppo)\n"), text);
    assertTrue(text.contains("#   rlhf4j.optimizer.warmup-steps: 50 (sft), 20 (collect, rm, ppo, "
        + "dpo, eval)\n"), text);
  }

  @Test
  void givenBackWithConfigItRunsTheSameStages() throws IOException {
    for (DemoPlan plan : List.of(DemoPlan.quick(), DemoPlan.full())) {
      Map<String, RlhfConfig> ran = stages(plan, Optional.empty());
      Path file = dir.resolve(plan.name() + ".conf");
      Files.writeString(file, DemoConfigFile.render(plan.name(), ran, plan.origin()));
      Map<String, RlhfConfig> again = stages(plan, Optional.of(file));
      for (String stage : DemoPlan.STAGES) {
        assertEquals(read(stage, ran.get(stage)), read(stage, again.get(stage)),
            plan.name() + " " + stage);
      }
    }
  }

  /**
   * What {@code stage} reads of {@code c}: the shared settings and its own section (the file
   * gives every stage every section, as it ran in the stage that reads it).
   */
  private static List<Object> read(String stage, RlhfConfig c) {
    List<Object> read = new ArrayList<>(List.of(c.run(), c.runtime(), c.model(), c.tokenizer(),
        c.optimizer(), c.log(), c.clusterTls()));
    read.addAll(switch (stage) {
      case DemoPlan.SFT -> List.of(c.sft());
      case DemoPlan.COLLECT -> List.of(c.collect());
      case DemoPlan.RM -> List.of(c.reward());
      case DemoPlan.PPO -> List.of(c.ppo(), c.async());
      case DemoPlan.DPO -> List.of(c.dpo());
      default -> List.of(c.eval());
    });
    return read;
  }
}
