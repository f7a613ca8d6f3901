package org.rlhf4j.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.RlhfConfig;

/**
 * The demo's top-level {@code config.conf}: each stage's section as that stage ran it, the
 * settings all stages shared, and a header naming each stage's own file and the settings the
 * stages ran with different values, which the file leaves out.
 */
final class DemoConfigFile {
  /** The stage whose configuration each section is taken from: the stage that reads it. */
  private static final Map<String, String> OWNERS = Map.of("rlhf4j.sft", DemoPlan.SFT,
      "rlhf4j.collect", DemoPlan.COLLECT, "rlhf4j.reward", DemoPlan.RM,
      "rlhf4j.ppo", DemoPlan.PPO, "rlhf4j.async", DemoPlan.PPO, "rlhf4j.dpo", DemoPlan.DPO,
      "rlhf4j.eval", DemoPlan.EVAL);

  private DemoConfigFile() {}

  /**
   * The file's text.
   *
   * @param stages every stage's effective configuration by stage name, in pipeline order
   * @param origin how the stages' own settings were described (the plan), for the comments
   */
  static String render(String plan, Map<String, RlhfConfig> stages, String origin) {
    RlhfConfig base = stages.get(DemoPlan.EVAL);
    Map<String, Object> owned = new LinkedHashMap<>();
    List<String> leftOut = new ArrayList<>();
    StringBuilder differences = new StringBuilder();
    Config shared = base.source().getConfig("rlhf4j");
    Map<String, ConfigValue> settings = new TreeMap<>();
    shared.entrySet().forEach(e -> settings.put("rlhf4j." + e.getKey(), e.getValue()));
    for (Map.Entry<String, ConfigValue> e : settings.entrySet()) {
      String key = e.getKey();
      Optional<String> owner = owner(key);
      if (owner.isPresent()) {
        ConfigValue ran = stages.get(owner.get()).source().getValue(key);
        if (!ran.render().equals(e.getValue().render())) {
          owned.put(key, ran.unwrapped());
        }
        continue;
      }
      // value as written -> the stages that ran with it
      Map<String, List<String>> byValue = new LinkedHashMap<>();
      stages.forEach((stage, c) -> byValue.computeIfAbsent(c.source().getValue(key).render(),
          v -> new ArrayList<>()).add(stage));
      if (byValue.size() > 1) {
        leftOut.add(key);
        differences.append("#   ").append(key).append(": ");
        List<String> parts = new ArrayList<>();
        byValue.forEach((v, s) -> parts.add(v + " (" + String.join(", ", s) + ")"));
        differences.append(String.join(", ", parts)).append('\n');
      }
    }
    RlhfConfig summed = owned.isEmpty() ? base
        : ConfigLoader.withOverrides(base, owned, origin);
    return header(plan, differences.toString()) + ConfigLoader.render(summed, leftOut);
  }

  private static Optional<String> owner(String key) {
    return OWNERS.entrySet().stream().filter(o -> key.startsWith(o.getKey() + "."))
        .map(Map.Entry::getValue).findFirst();
  }

  private static String header(String plan, String differences) {
    return "# The settings of rlhf4j demo's " + plan + " plan. Each stage ran with its own "
        + "configuration,\n"
        + "# written beside its outputs: sft/config.conf, rm/config.conf, ppo/config.conf,\n"
        + "# dpo/config.conf, eval/config.conf (and each sweep run's sweep/NAME/config.conf).\n"
        + "# Here each stage's section is as that stage ran it (rlhf4j.sft as sft/, rlhf4j.reward "
        + "as rm/,\n"
        + "# rlhf4j.ppo and rlhf4j.async as ppo/, rlhf4j.dpo as dpo/, rlhf4j.collect as the "
        + "comparisons,\n"
        + "# rlhf4j.eval as eval/) and every other setting is one all stages shared"
        + (differences.isEmpty() ? ".\n"
            : ", except\n# these, which the stages set differently and this file leaves out:\n"
                + differences)
        + "# Given back to the same plan with --config, this file runs the same stages.\n\n";
  }
}
