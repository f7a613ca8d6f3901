package org.rlhf4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.rlhf4j.learner.ExampleFit;
import org.rlhf4j.learner.PreferencePair;
import org.rlhf4j.learner.SftTrainer;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.tokenizer.Tokenizer;
import org.rlhf4j.tasks.data.JsonlReader;
import org.rlhf4j.tasks.data.PreferenceExample;
import org.rlhf4j.tasks.data.SftExample;

/**
 * A trainer's examples, tokenized, with those that teach nothing within the maximum length
 * dropped, counted and noted on stderr (too many dropped is bad input: {@link ExampleFit#keep}).
 */
final class TrainingData {
  private TrainingData() {}

  /** Examples of the file {@code source}, or of a task (numbered from 1). */
  record Source<T>(String name, List<JsonlReader.Numbered<T>> examples) {
    static <T> Source<T> file(Path file, JsonlReader<T> reader) {
      return new Source<>(file.toString(), reader.readAllNumbered(file));
    }

    static <T> Source<T> task(String task, List<T> examples) {
      List<JsonlReader.Numbered<T>> numbered = new java.util.ArrayList<>(examples.size());
      for (int i = 0; i < examples.size(); i++) {
        numbered.add(new JsonlReader.Numbered<>(i + 1, examples.get(i)));
      }
      return new Source<>("--task " + task + " example", numbered);
    }

    List<T> values() {
      return examples.stream().map(JsonlReader.Numbered::example).toList();
    }

    IntFunction<String> where() {
      return i -> name + ":" + examples.get(i).line();
    }
  }

  static ExampleFit.Kept<SftTrainer.Example> sft(Source<SftExample> source, Tokenizer tok,
      org.rlhf4j.config.SftConfig c, Gpt gpt, PrintWriter err) {
    int maxLength = Math.min(c.maxLength(), gpt.config().contextLength());
    return keep(Tokenized.sft(source.values(), tok), e -> ExampleFit.sftProblem(e, maxLength,
        c.completionOnly()), source, "rlhf4j.sft.max-length", maxLength, err);
  }

  /** Preference pairs for the stage whose length setting is {@code setting}. */
  static ExampleFit.Kept<PreferencePair> pairs(Source<PreferenceExample> source, Tokenizer tok,
      String setting, int configuredLength, Gpt gpt, PrintWriter err) {
    int maxLength = Math.min(configuredLength, gpt.config().contextLength());
    return keep(Tokenized.pairs(source.values(), tok), p -> ExampleFit.pairProblem(p, maxLength),
        source, setting, maxLength, err);
  }

  private static <T> ExampleFit.Kept<T> keep(List<T> examples, Function<T, String> problem,
      Source<?> source, String setting, int maxLength, PrintWriter err) {
    ExampleFit.Kept<T> kept = ExampleFit.keep(examples, problem, source.where(), setting,
        maxLength);
    if (kept.dropped() > 0) {
      err.println("rlhf4j: note: " + kept.note(setting, maxLength));
      err.flush();
    }
    return kept;
  }
}
