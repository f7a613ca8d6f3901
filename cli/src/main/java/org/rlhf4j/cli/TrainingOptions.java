package org.rlhf4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.RunDirectory;
import org.rlhf4j.model.Head;
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
      description = "Start from an rlhf4j model (a run's DIR/model), a Hugging Face GPT-2 "
          + "directory, or a PEFT LoRA adapter directory (adapter_config.json), merged into the "
          + "local base its base_model_name_or_path names. Default: a fresh model shaped by "
          + "rlhf4j.model, with the tokenizer rlhf4j.tokenizer.kind names.")
  Path init;

  @Option(names = "--adapter", paramLabel = "ADAPTER_DIR",
      description = "A PEFT LoRA adapter directory to merge into --init's model before "
          + "training (--init BASE --adapter ADAPTER_DIR), whatever base the adapter's "
          + "adapter_config.json names.")
  Path adapter;

  @Mixin SeededConfigOption config;

  @Mixin KernelsOption kernels;

  /** The starting model: --init (with --adapter merged in), or a fresh one when absent. */
  ModelSource model(RlhfConfig c, Set<Head> heads, List<String> corpus) throws IOException {
    return ModelSource.load(init, adapter, c, heads, kernels.create(), corpus);
  }

  /** The run directory, defaulting to runs/NAME/STAGE. */
  Path out(RlhfConfig c, String stage) {
    return out != null ? out : Path.of("runs", c.run().name(), stage);
  }

  /**
   * Checked before any work: the run directory must be a directory this process can write in,
   * --init a model and --adapter an adapter.
   */
  void checkOut(RlhfConfig c, String stage) {
    OutputPaths.requireWritableDirectory(out(c, stage), "--out");
    if (init != null) {
      ModelSource.requireModelDirectory(init, "--init");
    } else if (adapter != null) {
      throw new UserInputException("--adapter " + adapter + " needs --init BASE, the model the "
          + "adapter was trained on");
    }
    if (adapter != null) {
      PeftInit.requireAdapter(adapter);
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
