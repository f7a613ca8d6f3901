package org.rlhf4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.RunDirectory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options every synchronous trainer takes: data, output directory, resume, starting model. */
final class TrainingOptions {
  /** Where the examples come from: a JSONL file or the built-in task. */
  static final class Source {
    @Option(names = "--data", paramLabel = "FILE", required = true,
        description = "Training data as JSONL in TRL's format.")
    Path data;

    @Option(names = "--task", paramLabel = "NAME", required = true,
        description = "A built-in task instead of --data: sentiment.")
    String task;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Run directory. Default: runs/<rlhf4j.run.name>/${COMMAND-NAME}.")
  Path out;

  /** Set by each command's own --resume, whose help says what that command's checkpoint holds. */
  boolean resume;

  @Option(names = "--init", paramLabel = "DIR",
      description = "Start from an rlhf4j model (a run's DIR/model) or a Hugging Face GPT-2 "
          + "directory. Default: a fresh model shaped by rlhf4j.model, with the tokenizer "
          + "rlhf4j.tokenizer.kind names.")
  Path init;

  @Mixin SeededConfigOption config;

  @Mixin KernelsOption kernels;

  /** The run directory, defaulting to runs/NAME/STAGE. */
  Path out(RlhfConfig c, String stage) {
    return out != null ? out : Path.of("runs", c.run().name(), stage);
  }

  /**
   * Checked before any work: the run directory must be a directory this process can write in,
   * and --init a model.
   */
  void checkOut(RlhfConfig c, String stage) {
    OutputPaths.requireWritableDirectory(out(c, stage), "--out");
    if (init != null) {
      ModelSource.requireModelDirectory(init, "--init");
    }
  }

  /** With --resume, the run in {@code out} must be of {@code model}'s shape. */
  void checkResume(Path out, org.rlhf4j.config.ModelConfig model) throws java.io.IOException {
    if (resume) {
      ResumeShape.check(out, model);
    }
  }

  /** Claims the run directory for a run of {@code kind}, refusing one that is not this run's. */
  RunDirectory claim(RlhfConfig c, String kind) throws IOException {
    return RunDirectory.claim(out(c, kind), kind, resume);
  }

  /** True when the built-in task was chosen (and it is one that exists). */
  boolean usesTask() {
    if (source.task == null) {
      return false;
    }
    if (!source.task.equals("sentiment")) {
      throw new UserInputException("--task: unknown task '" + source.task + "', expected sentiment");
    }
    return true;
  }

  /** The data file, which must exist. */
  Path data() throws NoSuchFileException {
    if (!Files.isRegularFile(source.data)) {
      throw new NoSuchFileException(source.data.toString());
    }
    return source.data;
  }
}
