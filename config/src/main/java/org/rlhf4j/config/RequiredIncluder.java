package org.rlhf4j.config;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigIncludeContext;
import com.typesafe.config.ConfigIncluder;
import com.typesafe.config.ConfigIncluderFile;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseable;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Makes every {@code include} required: HOCON skips a missing included file silently, so a
 * misspelt name would quietly drop its settings. The error names the including file and line.
 */
final class RequiredIncluder implements ConfigIncluder, ConfigIncluderFile {
  private final ConfigIncluder fallback;

  RequiredIncluder() {
    this(null);
  }

  private RequiredIncluder(ConfigIncluder fallback) {
    this.fallback = fallback;
  }

  @Override
  public ConfigIncluder withFallback(ConfigIncluder fallback) {
    return new RequiredIncluder(fallback);
  }

  @Override
  public ConfigObject include(ConfigIncludeContext context, String what) {
    return required(context, what, () -> fallback.include(strict(context), what));
  }

  @Override
  public ConfigObject includeFile(ConfigIncludeContext context, File what) {
    return required(context, what.getPath(),
        () -> ((ConfigIncluderFile) fallback).includeFile(strict(context), what));
  }

  private static ConfigIncludeContext strict(ConfigIncludeContext context) {
    return context.setParseOptions(context.parseOptions().setAllowMissing(false));
  }

  private static ConfigObject required(ConfigIncludeContext context, String what,
      java.util.function.Supplier<ConfigObject> parse) {
    try {
      return parse.get();
    } catch (MissingInclude e) {
      // the missing file sits in a file that `what` included: that file is the one to name
      throw e.within(fileOf(context, what));
    } catch (ConfigException.IO e) {
      throw new MissingInclude(what, null);
    }
  }

  /** The file an include of {@code what} resolved to, when it is a file on disk. */
  private static Path fileOf(ConfigIncludeContext context, String what) {
    ConfigParseable p = context.relativeTo(what);
    String name = p == null ? null : p.origin().filename();
    return name == null ? null : Path.of(name);
  }

  /** An included file that does not exist; {@code including} is filled in on the way out. */
  static final class MissingInclude extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String what;
    private final transient Path including;

    MissingInclude(String what, Path including) {
      super("include \"" + what + "\": no such file", null, false, false);
      this.what = what;
      this.including = including;
    }

    MissingInclude within(Path file) {
      return including != null || file == null ? this : new MissingInclude(what, file);
    }

    /** As a configuration error naming the including file and the line of the include. */
    InvalidConfigException asInvalid(Path topFile) {
      Path file = including != null ? including : topFile;
      return new InvalidConfigException(file + lineOf(file), "include \"" + what + "\"",
          "no such file (an included path is relative to the including file)");
    }

    private String lineOf(Path file) {
      Pattern include = Pattern.compile("^\\s*include\\s+(required\\s*\\(\\s*)?"
          + "((file|classpath)\\s*\\(\\s*)?\"" + Pattern.quote(what) + "\"");
      try {
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
          if (include.matcher(lines.get(i)).find()) {
            return ":" + (i + 1);
          }
        }
      } catch (IOException e) {
        // the file was readable a moment ago; without it there is no line to name
      }
      return "";
    }
  }
}
