package org.rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.rlhf4j.config.ConfigLoader;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** Every command's help: examples that parse, and every default shown in one spelling. */
class HelpTextTest {
  private static final Pattern CONFIG_DEFAULT = Pattern.compile("Default: (rlhf4j\\.[a-z.-]+), ");

  /** Every command and subcommand but picocli's `help`. */
  static Stream<CommandLine> commands() {
    List<CommandLine> all = new ArrayList<>();
    collect(Rlhf4j.commandLine(), all);
    return all.stream().filter(c -> !c.getCommandName().equals("help"));
  }

  private static void collect(CommandLine cl, List<CommandLine> into) {
    into.add(cl);
    cl.getSubcommands().values().forEach(sub -> collect(sub, into));
  }

  @ParameterizedTest
  @MethodSource("commands")
  void everyHelpEndsWithExamplesThatParse(CommandLine cl) {
    String usage = cl.getUsageMessage();
    int at = usage.indexOf("\nExamples:\n");
    assertTrue(at >= 0, "no Examples: in\n" + usage);
    List<String> examples = examples(usage.substring(at + "\nExamples:\n".length()));
    assertFalse(examples.isEmpty() || examples.size() > 3, "1 to 3 examples:\n" + usage);
    for (String example : examples) {
      if (example.contains("...")) {
        continue; // an elided command line, such as node's learner
      }
      List<String> words = words(example);
      while (words.get(0).matches("[A-Z_0-9]+=.*")) {
        words.remove(0); // an environment variable
      }
      assertEquals("rlhf4j", words.remove(0), example);
      // parsed only: an unknown option, a missing value or a misspelt command fails here
      Rlhf4j.commandLine().parseArgs(words.toArray(String[]::new));
    }
  }

  @ParameterizedTest
  @MethodSource("commands")
  void everyOptionWithADefaultShowsItAsDefaultColon(CommandLine cl) {
    for (OptionSpec o : cl.getCommandSpec().options()) {
      if (o.hidden() || o.usageHelp() || o.versionHelp()) {
        continue;
      }
      String text = String.join(" ", o.renderedDescription());
      String where = cl.getCommandSpec().qualifiedName() + " " + o.longestName() + ": " + text;
      assertFalse(text.contains("${"), "a variable left unresolved in " + where);
      assertFalse(text.contains("(default"), "not in the one spelling, Default: X, in " + where);
      if (o.defaultValue() != null) {
        assertTrue(text.contains("Default: " + o.defaultValue()), "no default shown in " + where);
      } else if (!o.typeInfo().isBoolean() && !o.typeInfo().isMultiValue()) {
        assertEquals(null, o.initialValue(), "a default picocli cannot show in " + where);
      }
      Matcher m = CONFIG_DEFAULT.matcher(text);
      while (m.find()) {
        Object value = ConfigLoader.defaults().source().getValue(m.group(1)).unwrapped();
        assertTrue(text.contains("Default: " + m.group(1) + ", " + value), where);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("commands")
  void aDefaultFromTheConfigurationNamesItsKeyAndValue(CommandLine cl) {
    for (OptionSpec o : cl.getCommandSpec().options()) {
      String text = String.join(" ", o.renderedDescription());
      if (List.of("--workers", "--max-lag", "--seed").contains(o.longestName())
          && o.defaultValue() == null) {
        Matcher m = CONFIG_DEFAULT.matcher(text);
        assertTrue(m.find(), "no Default: rlhf4j.KEY, VALUE in " + o.longestName() + ": " + text);
        assertNotNull(ConfigLoader.defaults().source().getValue(m.group(1)));
      }
    }
  }

  /** The examples of a footer: each line that starts a command, joined with its continuations. */
  private static List<String> examples(String footer) {
    List<String> examples = new ArrayList<>();
    for (String line : footer.split("\n")) {
      assertTrue(line.length() <= 80, "wrapped by picocli: " + line);
      String text = line.replaceFirst("\\s+#.*$", "").trim();
      if (text.isEmpty()) {
        continue;
      }
      if (line.startsWith("      ") && !examples.isEmpty()) {
        examples.set(examples.size() - 1, examples.get(examples.size() - 1) + " " + text);
      } else {
        examples.add(text);
      }
    }
    return examples.stream().map(e -> e.replace("\\ ", "")).toList();
  }

  /** A shell's words: split at spaces outside double quotes, the quotes removed. */
  private static List<String> words(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean quoted = false;
    boolean any = false;
    for (char ch : line.toCharArray()) {
      if (ch == '"') {
        quoted = !quoted;
        any = true;
      } else if (ch == ' ' && !quoted) {
        if (any) {
          words.add(word.toString());
          word.setLength(0);
          any = false;
        }
      } else {
        word.append(ch);
        any = true;
      }
    }
    if (any) {
      words.add(word.toString());
    }
    return words;
  }
}
