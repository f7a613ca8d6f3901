package org.rlhf4j.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigOrigin;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/** Typed, range-checked reads of a resolved config; every error names the key, the value and its origin. */
final class Settings {
  private final Config config;
  private final Set<String> read = new HashSet<>();

  Settings(Config config) {
    this.config = config;
  }

  int intIn(String key, int min, int max) {
    return (int) integerIn(key, min, max, "an integer");
  }

  long longIn(String key, long min, long max) {
    return integerIn(key, min, max, "an integer");
  }

  double doubleIn(String key, double lo, boolean loInclusive, double hi, boolean hiInclusive) {
    String allowed = "a number in " + (loInclusive ? "[" : "(") + lo + ", " + hi
        + (hiInclusive ? "]" : ")");
    double v = number(key, allowed).doubleValue();
    boolean ok = (loInclusive ? v >= lo : v > lo) && (hiInclusive ? v <= hi : v < hi);
    if (Double.isInfinite(v)) {
      throw invalid(key, tooLarge() + "expected " + allowed);
    }
    if (!ok || Double.isNaN(v)) {
      throw invalid(key, "value " + render(key) + " is out of range: expected " + allowed);
    }
    return v;
  }

  String string(String key) {
    try {
      read.add(key);
      return config.getString(key);
    } catch (ConfigException e) {
      throw invalid(key, "expected a string, got " + render(key));
    }
  }

  String oneOf(String key, String... allowed) {
    String v = string(key);
    if (!Arrays.asList(allowed).contains(v)) {
      throw invalid(key, "value \"" + v + "\" is not allowed: expected one of "
          + String.join(", ", allowed));
    }
    return v;
  }

  /** A list of strings, each one of {@code allowed}; at least one. */
  java.util.List<String> listOf(String key, String... allowed) {
    java.util.List<String> v;
    try {
      read.add(key);
      v = config.getStringList(key);
    } catch (ConfigException e) {
      throw invalid(key, "expected a list of strings such as [" + allowed[0] + "], got "
          + render(key));
    }
    if (v.isEmpty()) {
      throw invalid(key, "expected at least one of " + String.join(", ", allowed));
    }
    for (String item : v) {
      if (!Arrays.asList(allowed).contains(item)) {
        throw invalid(key, "\"" + item + "\" is not allowed: expected some of "
            + String.join(", ", allowed));
      }
    }
    return java.util.List.copyOf(v);
  }

  boolean bool(String key) {
    try {
      read.add(key);
      return config.getBoolean(key);
    } catch (ConfigException e) {
      throw invalid(key, "expected true or false, got " + render(key));
    }
  }

  /** Builds one record; its cross-field checks are reported against the section's key path. */
  <T> T section(String path, Supplier<T> build) {
    try {
      return build.get();
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigException(sectionOrigin(path), path, e.getMessage());
    }
  }

  /** Where the user touched a section: the first overridden value's file and line. */
  private String sectionOrigin(String path) {
    return config.getConfig(path).entrySet().stream()
        .map(e -> e.getValue().origin())
        .filter(o -> !"reference.conf".equals(o.resource()))
        .min(java.util.Comparator.comparingInt(ConfigOrigin::lineNumber))
        .map(Settings::where)
        .orElse("reference.conf");
  }

  /** Guards reference.conf against settings that no record reads (a default nobody honours). */
  void requireAllRead() {
    Set<String> unread = new TreeSet<>();
    for (var entry : ConfigLoader.reference().getConfig("rlhf4j").entrySet()) {
      String key = "rlhf4j." + entry.getKey();
      if (!read.contains(key)) {
        unread.add(key);
      }
    }
    if (!unread.isEmpty()) {
      throw new IllegalStateException("reference.conf keys read by no record: " + unread);
    }
  }

  private long integerIn(String key, long min, long max, String what) {
    String allowed = what + " from " + min + " to " + max;
    Number n = number(key, allowed);
    if (n instanceof Double d && !Double.isFinite(d)) {
      // HOCON reads 1e400 as infinity, which BigDecimal cannot hold
      throw invalid(key, tooLarge() + "expected " + allowed);
    }
    BigDecimal exact = new BigDecimal(n.toString());
    boolean integral = exact.stripTrailingZeros().scale() <= 0;
    if (!integral) {
      throw invalid(key, "value " + render(key) + " is not whole: expected " + allowed);
    }
    BigInteger v = exact.toBigIntegerExact();
    if (v.compareTo(BigInteger.valueOf(min)) < 0 || v.compareTo(BigInteger.valueOf(max)) > 0) {
      throw invalid(key, "value " + render(key) + " is out of range: expected " + allowed);
    }
    return v.longValueExact();
  }

  private Number number(String key, String allowed) {
    read.add(key);
    try {
      return config.getNumber(key);
    } catch (ConfigException e) {
      throw invalid(key, "expected " + allowed + ", got " + render(key));
    }
  }

  /** HOCON has already turned the user's text (1e400, say) into infinity; say what happened. */
  private static String tooLarge() {
    return "value is out of range (beyond about 1.8e308, read as infinity): ";
  }

  private String render(String key) {
    try {
      return config.getValue(key).render();
    } catch (ConfigException e) {
      return "null";
    }
  }

  private InvalidConfigException invalid(String key, String problem) {
    ConfigOrigin origin;
    try {
      origin = config.getValue(key).origin();
    } catch (ConfigException e) {
      origin = null;
    }
    return new InvalidConfigException(origin == null ? "" : where(origin), key, problem);
  }

  /** {@code file:line} of a value, or the resource name for defaults. */
  static String where(ConfigOrigin origin) {
    String file = origin.filename() != null ? origin.filename() : origin.resource();
    if (file == null) {
      // parsed from a string: the description already carries the line, as "name: 12"
      return origin.description().replaceFirst(": (\\d+)$", ":$1");
    }
    return origin.lineNumber() > 0 ? file + ":" + origin.lineNumber() : file;
  }
}
