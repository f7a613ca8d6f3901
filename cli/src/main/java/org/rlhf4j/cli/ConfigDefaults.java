package org.rlhf4j.cli;

import java.util.ListResourceBundle;
import org.rlhf4j.config.ConfigLoader;

/**
 * Help texts' view of reference.conf: {@code ${bundle:default.rlhf4j.async.workers}} in an
 * option's description reads "rlhf4j.async.workers, 2", so a default that comes from the
 * configuration is shown by its key and value without writing the value twice.
 */
final class ConfigDefaults extends ListResourceBundle {
  @Override
  protected Object[][] getContents() {
    var settings = ConfigLoader.defaults().source().getConfig("rlhf4j").entrySet();
    // "default." keeps the keys apart from picocli's own, such as rlhf4j.eval.prompts (the
    // description of `rlhf4j eval --prompts`)
    return settings.stream().map(e -> new Object[] {"default.rlhf4j." + e.getKey(),
        "rlhf4j." + e.getKey() + ", " + e.getValue().unwrapped()}).toArray(Object[][]::new);
  }
}
