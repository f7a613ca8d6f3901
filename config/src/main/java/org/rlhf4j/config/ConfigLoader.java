package org.rlhf4j.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads a user's HOCON file over reference.conf, rejects unknown keys and builds {@link RlhfConfig}. */
public final class ConfigLoader {
  private static final String ROOT = "rlhf4j";

  private ConfigLoader() {}

  /** The defaults alone. */
  public static RlhfConfig defaults() {
    return RlhfConfig.from(reference().resolve());
  }

  /** The user's file (if any) over the defaults, validated. */
  public static RlhfConfig load(Optional<Path> file) {
    return file.map(ConfigLoader::load).orElseGet(ConfigLoader::defaults);
  }

  /** {@code overrides} over the user's file (if any) over the defaults, validated. */
  public static RlhfConfig load(Optional<Path> file, Overrides overrides) {
    return load(file, Map.of(), "", overrides);
  }

  /**
   * The user's file (if any) over {@code underlay} over the defaults, validated: a command's own
   * defaults (the demo's stage settings, say) that the user's file still overrides.
   *
   * @param underlay full keys to numbers, booleans or strings, described as {@code origin}
   */
  public static RlhfConfig load(Optional<Path> file, Map<String, ?> underlay, String origin) {
    return load(file, underlay, origin, Overrides.none());
  }

  /**
   * {@code overrides} over the user's file (if any) over {@code underlay} over the defaults,
   * validated: the command line beats the file, which beats a command's own defaults.
   */
  public static RlhfConfig load(Optional<Path> file, Map<String, ?> underlay, String origin,
      Overrides overrides) {
    Config under = ConfigFactory.parseMap(underlay, origin);
    rejectUnknownKeys(under, reference());
    Config user = file.map(ConfigLoader::parseFile).orElse(ConfigFactory.empty());
    rejectUnknownKeys(user, reference());
    return fromUser(overrides.over(user).withFallback(under));
  }

  /** {@code file} over the defaults, validated. */
  public static RlhfConfig load(Path file) {
    return fromUser(parseFile(file));
  }

  /** Configuration text (as from a file named {@code name}) over the defaults, validated. */
  public static RlhfConfig parse(String text, String name) {
    try {
      return fromUser(ConfigFactory.parseString(text,
          ConfigParseOptions.defaults().setOriginDescription(name)));
    } catch (ConfigException.Parse e) {
      throw new InvalidConfigException(name, "(syntax)", e.getMessage());
    }
  }

  /**
   * {@code base} with some settings replaced (command-line options), validated again; the
   * rendered configuration says the values were set by {@code origin}.
   *
   * @param overrides full keys ({@code rlhf4j.async.workers}) to numbers, booleans or strings
   */
  public static RlhfConfig withOverrides(RlhfConfig base, Map<String, ?> overrides,
      String origin) {
    Config user = ConfigFactory.parseMap(overrides, origin);
    rejectUnknownKeys(user, reference());
    return RlhfConfig.from(user.withFallback(base.source()).resolve());
  }

  /** The effective configuration under {@code rlhf4j}, as HOCON with each default's comment. */
  public static String render(RlhfConfig config) {
    return render(config, List.of());
  }

  /**
   * {@link #render(RlhfConfig)} without the settings {@code leftOut} (full keys): a file that
   * sums up several configurations leaves out what they do not share.
   */
  public static String render(RlhfConfig config, Collection<String> leftOut) {
    Config shown = config.source().getConfig(ROOT).atKey(ROOT);
    for (String key : leftOut) {
      shown = shown.withoutPath(key);
    }
    Config reference = reference();
    for (Map.Entry<String, ConfigValue> e : shown.entrySet()) {
      ConfigValue value = e.getValue();
      if (!"reference.conf".equals(value.origin().resource())) {
        // an overridden value keeps the default's comment and says where it was set
        List<String> comments = new ArrayList<>(reference.hasPath(e.getKey())
            ? reference.getValue(e.getKey()).origin().comments() : List.of());
        comments.add("set in " + Settings.where(value.origin()) + " (default "
            + (reference.hasPath(e.getKey()) ? oneLine(reference.getValue(e.getKey())) : "none")
            + ")");
        shown = shown.withValue(e.getKey(), value.withOrigin(value.origin().withComments(comments)));
      }
    }
    return shown.root().render(ConfigRenderOptions.defaults().setOriginComments(false)
        .setComments(true).setJson(false).setFormatted(true));
  }

  /**
   * {@code value} rendered on one line, for a comment: a list renders over several lines, and
   * the lines after the first would leave the comment and break the file.
   */
  private static String oneLine(ConfigValue value) {
    String shown = value.render();
    return shown.contains("\n") ? value.render(ConfigRenderOptions.concise()) : shown;
  }

  static Config reference() {
    return ConfigFactory.parseResources(ConfigLoader.class, "/reference.conf");
  }

  private static Config parseFile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw InvalidConfigException.unreadable(file.toString(), "no such file (a HOCON "
          + "configuration file was expected)");
    }
    try {
      return ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults()
          .setAllowMissing(false).setIncluder(new RequiredIncluder()));
    } catch (RequiredIncluder.MissingInclude e) {
      throw e.asInvalid(file);
    } catch (ConfigException.Parse e) {
      throw new InvalidConfigException(file.toString(), "(syntax)", e.getMessage());
    } catch (ConfigException e) {
      throw InvalidConfigException.unreadable(file.toString(), e.getMessage());
    }
  }

  private static RlhfConfig fromUser(Config user) {
    Config reference = reference();
    rejectUnknownKeys(user, reference);
    Config merged;
    try {
      merged = user.withFallback(reference).resolve();
    } catch (ConfigException e) {
      throw new InvalidConfigException(
          e.origin() == null ? "" : Settings.where(e.origin()), "(substitution)", e.getMessage());
    }
    return RlhfConfig.from(merged);
  }

  /** Every key under rlhf4j in {@code user} must exist in reference.conf; other roots pass through. */
  static void rejectUnknownKeys(Config user, Config reference) {
    if (!user.root().containsKey(ROOT)) {
      return;
    }
    ConfigValue userRoot = user.root().get(ROOT);
    if (userRoot.valueType() != ConfigValueType.OBJECT) {
      throw new InvalidConfigException(Settings.where(userRoot.origin()), ROOT,
          "expected an object of settings, got " + userRoot.render());
    }
    walk(List.of(ROOT), (ConfigObject) userRoot, reference.root().toConfig().getObject(ROOT),
        reference);
  }

  private static void walk(List<String> path, ConfigObject user, ConfigObject ref, Config reference) {
    for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
      List<String> childPath = new ArrayList<>(path);
      childPath.add(e.getKey());
      String key = ConfigUtil.joinPath(childPath);
      ConfigValue refChild = ref.get(e.getKey());
      if (refChild == null) {
        throw new InvalidConfigException(Settings.where(e.getValue().origin()), key,
            "unknown key" + KeySuggestion.nearest(key, reference.getConfig(ROOT), ROOT)
                .map(s -> " (did you mean " + s + "?)").orElse("")
            + "; every setting is listed in reference.conf (bin/rlhf4j config show)");
      }
      boolean refSection = refChild.valueType() == ConfigValueType.OBJECT;
      boolean userSection = e.getValue().valueType() == ConfigValueType.OBJECT;
      if (refSection && userSection) {
        walk(childPath, (ConfigObject) e.getValue(), (ConfigObject) refChild, reference);
      } else if (refSection) {
        // `rlhf4j.sft = 5` would replace the whole section and fail later on a key nobody wrote
        throw new InvalidConfigException(Settings.where(e.getValue().origin()), key,
            "is a section of settings (" + key + " { ... } or " + key + ".KEY = VALUE), got "
                + e.getValue().render());
      } else if (userSection) {
        throw new InvalidConfigException(Settings.where(e.getValue().origin()), key,
            "expected a single value (default " + refChild.render() + "), got a section");
      }
    }
  }
}
