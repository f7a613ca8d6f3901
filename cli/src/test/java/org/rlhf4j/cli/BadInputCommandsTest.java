package org.rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.Head;

/** Mistakes in what a command is given: exit 2 and one line naming the file or key, found early. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputCommandsTest {
  private Path dir;
  private Path config;
  private Path data;
  private Path prefs;
  private Path run;

  @BeforeAll
  void aTrainedRun(@TempDir Path temp) throws IOException {
    dir = temp;
    config = dir.resolve("tiny.conf");
    Files.writeString(config, """
        rlhf4j.model { d-model = 16, layers = 1, heads = 2, context-length = 40 }
        rlhf4j.sft { steps = 2, batch-size = 2, checkpoint-every = 1 }
        rlhf4j.eval { prompts = 2, max-new-tokens = 2 }
        """);
    TinyData.write(dir, 4);
    data = dir.resolve("sft.jsonl");
    prefs = dir.resolve("prefs.jsonl");
    run = dir.resolve("sft-run");
    Rlhf4jCommandTest.Run r = sft("--out", run.toString());
    assertEquals(0, r.exit(), r.err());
  }

  private Rlhf4jCommandTest.Run sft(String... more) {
    List<String> args = new ArrayList<>(List.of("sft", "--data", data.toString(), "--config",
        config.toString()));
    args.addAll(List.of(more));
    return Rlhf4jCommandTest.run(args.toArray(String[]::new));
  }

  private static void assertOneLine(Rlhf4jCommandTest.Run r, String... parts) {
    assertEquals(2, r.exit(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("rlhf4j: "), r.err());
    for (String part : parts) {
      assertTrue(r.err().contains(part), "no '" + part + "' in " + r.err());
    }
  }

  @Test
  void outNamingAFileIsBadInput() throws IOException {
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    assertOneLine(sft("--out", file.toString()), "--out " + file + ": is a file; expected a "
        + "directory");
  }

  @Test
  void outBelowAFileIsBadInput() throws IOException {
    Path file = Files.writeString(dir.resolve("another-file"), "x");
    Path out = file.resolve("run");
    assertOneLine(sft("--out", out.toString()), "--out " + out + ": " + file
        + " is a file, not a directory");
  }

  @Test
  void outInAReadOnlyDirectoryIsBadInput() throws IOException {
    Path readOnly = Files.createDirectory(dir.resolve("read-only"));
    assertTrue(readOnly.toFile().setWritable(false, false));
    try {
      // root ignores permissions: then the directory is writable and there is nothing to test
      Assumptions.assumeFalse(canCreateFileIn(readOnly), "running as root");
      Path out = readOnly.resolve("run");
      assertOneLine(sft("--out", out.toString()), "--out " + out, "permission denied");
    } finally {
      readOnly.toFile().setWritable(true, false);
    }
  }

  @Test
  void outWhereEvenRootCannotWriteIsBadInput() {
    // sysfs refuses new files to every user, root included: a real refusal when tests run as root
    Path sys = Path.of("/sys");
    Assumptions.assumeTrue(Files.isDirectory(sys) && !canCreateFileIn(sys), "no such directory");
    Path out = sys.resolve("rlhf4j-run");
    assertOneLine(sft("--out", out.toString()), "--out " + out + ": cannot write in /sys");
  }

  private static boolean canCreateFileIn(Path dir) {
    try {
      Files.delete(Files.createTempFile(dir, "probe", ".tmp"));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void aFullDiskIsOneLineNamingTheFile() {
    // a full disk cannot be made here; the exception the JDK throws for ENOSPC can
    FileSystemException full = new FileSystemException("/x/metrics.jsonl", null,
        "No space left on device");
    Exception wrapped = new java.io.UncheckedIOException(new IOException(full));
    assertTrue(BadInput.is(wrapped));
    assertEquals("/x/metrics.jsonl: no space left on device; free some space or choose another "
        + "--out", BadInput.describe(wrapped));
    assertFalse(BadInput.is(new IOException("Broken pipe")));
  }

  @Test
  void resumeIntoARunOfAnotherShapeNamesTheKey() throws IOException {
    Path wider = dir.resolve("wider.conf");
    Files.writeString(wider, "include \"tiny.conf\"\nrlhf4j.model.d-model = 32\n");
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("sft", "--resume", "--data", data.toString(),
        "--config", wider.toString(), "--out", run.toString());
    assertOneLine(r, "--resume: " + run.resolve("checkpoints"),
        "rlhf4j.model.d-model = 16, but this run's model has 32");
  }

  @Test
  void evalOfAPolicyAsRewardModelSaysItHasNoRewardHead() {
    Rlhf4jCommandTest.Run r = eval("--policy", run.resolve("model").toString(), "--reward-model",
        run.resolve("model").toString(), "--comparisons", prefs.toString(), "--out",
        dir.resolve("eval-rm.json").toString());
    assertOneLine(r, run.resolve("model") + ": this checkpoint has no reward head");
    assertEquals("", r.out(), "nothing was evaluated");
  }

  @Test
  void evalOfARunDirectoryNamesItsModel() {
    Rlhf4jCommandTest.Run r = eval("--policy", run.toString(), "--out",
        dir.resolve("eval-run.json").toString());
    assertOneLine(r, "--policy " + run + " is a run directory, not a model; its model is "
        + run.resolve("model"));
  }

  @Test
  void evalOfADirectoryOfRunsListsTheModelsBelowIt() {
    Rlhf4jCommandTest.Run r = eval("--policy", run.resolve("model").toString(), "--baseline",
        dir.toString(), "--out", dir.resolve("eval-runs.json").toString());
    assertOneLine(r, "--baseline " + dir + ": not a model (no rlhf4j.json, config.json or "
        + "adapter_config.json); the "
        + "models below it: " + run.resolve("model"));
  }

  @Test
  void aRunStoppedBeforeItsModelPointsAtItsCheckpoints() throws IOException {
    Path stopped = Files.createDirectories(dir.resolve("stopped/checkpoints")).getParent();
    Rlhf4jCommandTest.Run r = sft("--out", dir.resolve("from-stopped").toString(), "--init",
        stopped.toString());
    assertOneLine(r, "--init " + stopped + " is a run directory without its model",
        "--resume finishes it", stopped.resolve("checkpoints").toString());
    assertFalse(Files.exists(dir.resolve("from-stopped")), "the run directory was made");
  }

  @Test
  void evalFindsAnUnwritableOutBeforeEvaluating() throws IOException {
    Path taken = Files.createDirectories(dir.resolve("eval-out-is-a-directory"));
    Rlhf4jCommandTest.Run r = eval("--policy", run.resolve("model").toString(), "--out",
        taken.toString());
    assertOneLine(r, "--out " + taken + ": is a directory; expected a file");
    assertEquals("", r.out(), "the table of a finished evaluation was printed");
  }

  private Rlhf4jCommandTest.Run eval(String... more) {
    List<String> args = new ArrayList<>(List.of("eval", "--task", "sentiment", "--config",
        config.toString()));
    args.addAll(List.of(more));
    return Rlhf4jCommandTest.run(args.toArray(String[]::new));
  }

  @Test
  void aModelTooBigForMemoryIsRefusedBeforeAllocation() throws IOException {
    Path huge = dir.resolve("huge.conf");
    Files.writeString(huge, "include \"tiny.conf\"\n"
        + "rlhf4j.model { d-model = 16384, layers = 512, heads = 16 }\n");
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("sft", "--data", data.toString(), "--config",
        huge.toString(), "--out", dir.resolve("huge").toString());
    assertOneLine(r, "rlhf4j.model: a model of 1,649,", "parameters needs about", "GB to train",
        "is available to ND4J");
  }

  @Test
  void theEstimateCountsWeightsGradientsAndBothMoments() {
    ModelConfig tiny = new ModelConfig(260, 40, 16, 1, 2, 1e-5);
    long bytes = MemoryBudget.trainingBytes(tiny, EnumSet.noneOf(Head.class));
    long params = org.rlhf4j.model.GptLayout.of(tiny, EnumSet.noneOf(Head.class)).totalSize();
    assertEquals(params * 4 * 5, bytes);
    MemoryBudget.check(tiny, EnumSet.noneOf(Head.class), "x", bytes);
    UserInputException e = assertThrows(UserInputException.class,
        () -> MemoryBudget.check(tiny, EnumSet.noneOf(Head.class), "x", bytes - 1));
    assertTrue(e.getMessage().startsWith("x: a model of " + String.format("%,d", params)),
        e.getMessage());
  }
}
