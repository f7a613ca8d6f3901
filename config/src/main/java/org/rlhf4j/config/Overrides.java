package org.rlhf4j.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Settings given on a command line over a configuration file ({@code --set KEY=VALUE},
 * {@code --seed N}, presets such as {@code ppo --quick}), in the order given: a later one wins.
 * Each keeps where it came from, so an error names it as a file's error names file and line, and
 * {@code config.conf} says which setting it replaced.
 */
public final class Overrides {
  private static final String ROOT = "rlhf4j";
  // HOCON's number syntax (as JSON's): anything else that is not true/false is taken as a string
  private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?"
      + "([eE][+-]?[0-9]+)?");

  private final List<Config> layers;

  private Overrides(List<Config> layers) {
    this.layers = List.copyOf(layers);
  }

  /** No settings: the file's (and reference.conf's) values stand. */
  public static Overrides none() {
    return new Overrides(List.of());
  }

  /**
   * These settings, then one {@code --set KEY=VALUE}: KEY as in reference.conf with or without
   * its {@code rlhf4j.} prefix; VALUE a number, {@code true} or {@code false}, a list in HOCON's
   * brackets ({@code [c_attn, c_fc]}), or a string (quoted as in HOCON, or not). An unknown key is refused here, a bad value when loaded.
   *
   * @throws InvalidConfigException if there is no {@code =} or no key, or the key is not a path
   */
  public Overrides set(String assignment) {
    String origin = "--set " + assignment;
    int eq = assignment.indexOf('=');
    String key = eq < 0 ? "" : assignment.substring(0, eq).trim();
    if (key.isEmpty()) {
      throw InvalidConfigException.unreadable(origin, "expected KEY=VALUE, such as "
          + "--set ppo.kl-coef=0.1 (every KEY is listed by bin/rlhf4j config show)");
    }
    String full = key.equals(ROOT) || key.startsWith(ROOT + ".") ? key : ROOT + "." + key;
    return with(full, value(assignment.substring(eq + 1).trim(), origin, full), origin);
  }

  /** These settings, then {@code key} (a full key, {@code rlhf4j.run.seed}) set by {@code origin}. */
  public Overrides with(String key, Object value, String origin) {
    return with(Map.of(key, value), origin);
  }

  /** These settings, then {@code settings} (full keys to values) set by {@code origin}. */
  public Overrides with(Map<String, ?> settings, String origin) {
    Config layer;
    try {
      layer = ConfigFactory.parseMap(settings, origin);
    } catch (ConfigException.BadPath e) {
      throw new InvalidConfigException(origin, String.join(", ", settings.keySet()),
          "not a key (a key is a path of names such as rlhf4j.ppo.kl-coef)");
    }
    ConfigLoader.rejectUnknownKeys(layer, ConfigLoader.reference());
    List<Config> more = new ArrayList<>(layers);
    more.add(layer);
    return new Overrides(more);
  }

  /** These settings over {@code file}'s: the last one given on top. */
  Config over(Config file) {
    Config merged = file;
    for (Config layer : layers) {
      merged = layer.withFallback(merged);
    }
    return merged;
  }

  /** A command line's text as the value HOCON would read: a number, a boolean or a string. */
  private static Object value(String text, String origin, String key) {
    if (text.equals("true") || text.equals("false")) {
      return Boolean.valueOf(text);
    }
    if (text.startsWith("[")) {
      try {
        var parsed = ConfigFactory.parseString("v = " + text).getValue("v");
        if (parsed.valueType() == ConfigValueType.LIST) {
          return parsed.unwrapped();
        }
      } catch (ConfigException e) {
        // unbalanced brackets: said below
      }
      throw new InvalidConfigException(origin, key, "expected a list such as [c_attn, c_fc], got "
          + text);
    }
    if (NUMBER.matcher(text).matches() || text.startsWith("\"")) {
      try {
        var parsed = ConfigFactory.parseString("v = " + text).getValue("v");
        if (parsed.valueType() != ConfigValueType.OBJECT
            && parsed.valueType() != ConfigValueType.LIST) {
          return parsed.unwrapped();
        }
      } catch (ConfigException e) {
        // an unbalanced quote: said below
      }
      throw new InvalidConfigException(origin, key, "expected one value (a number, true, false "
          + "or a string), got " + text);
    }
    return text;
  }
}
