package org.rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rlhf4j.config.ConfigLoader;

/**
 * The README's step-by-step commands use {@code examples/demo/STAGE.conf}: each must hold exactly
 * the settings the demo gives that stage, so that the commands reproduce the demo.
 */
class DemoExamplesTest {
  private static final Path EXAMPLES = Path.of("..", "examples", "demo");

  @ParameterizedTest
  @ValueSource(strings = {DemoPlan.SFT, DemoPlan.COLLECT, DemoPlan.RM, DemoPlan.PPO,
      DemoPlan.DPO, DemoPlan.EVAL})
  void eachStagesFileHoldsTheFullDemosSettingsForIt(String stage) {
    Path file = EXAMPLES.resolve(stage + ".conf");
    // valid as a user's --config: known keys, values in range
    ConfigLoader.load(Optional.of(file));
    Config written = ConfigFactory.parseFile(file.toFile()).resolve();
    Map<String, Object> got = new TreeMap<>();
    for (Map.Entry<String, ConfigValue> e : written.entrySet()) {
      got.put(e.getKey(), normal(e.getValue().unwrapped()));
    }
    Map<String, Object> expected = new TreeMap<>();
    DemoPlan.full().of(stage).forEach((k, v) -> expected.put(k, normal(v)));
    assertEquals(expected, got, file.toString());
  }

  private static Object normal(Object value) {
    return value instanceof Number n ? n.doubleValue() : value;
  }
}
