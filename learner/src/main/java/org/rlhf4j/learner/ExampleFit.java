package org.rlhf4j.learner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Which tokenized examples still teach something once cut to the maximum length, and whether
 * enough do. An example whose prompt fills the length trains on nothing (SFT reports loss 0 over
 * 0 tokens, a preference pair scores both sides alike), so it is dropped and counted; when fewer
 * than half remain the length or the data is wrong, and training on the rest would mislead.
 */
public final class ExampleFit {
  /** The usable examples, how many were dropped, and the first dropped one: where and why. */
  public record Kept<T>(List<T> usable, int dropped, String firstDropped) {
    /** One line for stderr: how many were dropped, and the first one. */
    public String note(String setting, int maxLength) {
      return "dropped " + dropped + " of " + (usable.size() + dropped) + " examples that teach "
          + "nothing within " + setting + " = " + maxLength + " tokens (first: " + firstDropped
          + ")";
    }
  }

  private ExampleFit() {}

  /** Why an SFT example trains on no token when cut to {@code maxLength}, or null if it does. */
  public static String sftProblem(SftTrainer.Example e, int maxLength, boolean completionOnly) {
    // the loss predicts token i+1 < maxLength; with completion-only it must be a completion token
    if (completionOnly && e.prompt().length >= maxLength) {
      return "its prompt is " + e.prompt().length + " tokens, leaving no room for the completion";
    }
    return null;
  }

  /** Why a preference pair teaches nothing when cut to {@code maxLength}, or null if it does. */
  public static String pairProblem(PreferencePair p, int maxLength) {
    if (p.prompt().length >= maxLength) {
      return "its prompt is " + p.prompt().length + " tokens, leaving no room for the responses";
    }
    int room = maxLength - p.prompt().length;
    if (Arrays.equals(p.chosen(), 0, Math.min(room, p.chosen().length),
        p.rejected(), 0, Math.min(room, p.rejected().length))) {
      return "chosen and rejected are the same in the " + room + " tokens after the prompt";
    }
    return null;
  }

  /**
   * The examples {@code problem} finds nothing wrong with.
   *
   * @param where names example i for a message ({@code prefs.jsonl:12})
   * @param setting the length setting, for the message ({@code rlhf4j.sft.max-length})
   * @throws UnusableDataException when fewer than half of the examples (or none) are usable
   */
  public static <T> Kept<T> keep(List<T> examples, Function<T, String> problem,
      IntFunction<String> where, String setting, int maxLength) {
    List<T> usable = new ArrayList<>(examples.size());
    String first = null;
    for (int i = 0; i < examples.size(); i++) {
      String why = problem.apply(examples.get(i));
      if (why == null) {
        usable.add(examples.get(i));
      } else if (first == null) {
        first = where.apply(i) + ": " + why;
      }
    }
    Kept<T> kept = new Kept<>(usable, examples.size() - usable.size(), first);
    if (2L * usable.size() < examples.size() || usable.isEmpty()) {
      throw new UnusableDataException("only " + usable.size() + " of " + examples.size()
          + " examples teach anything within " + setting + " = " + maxLength + " tokens (at least "
          + "half must; first dropped: " + first + "); raise " + setting
          + " (up to the model's context length) or shorten the prompts");
    }
    return kept;
  }

  /**
   * Checks that every PPO prompt leaves room for a whole response in the context, before a run
   * starts: a rollout that does not fit would fail mid-run, or be scored cut short.
   *
   * @param where names prompt i for a message ({@code prompts.jsonl:3})
   * @throws UnusableDataException naming the first prompt that does not fit
   */
  public static void checkPromptsFit(List<int[]> prompts, int responseLength, int contextLength,
      IntFunction<String> where) {
    checkPromptsFit(prompts, "rlhf4j.ppo.response-length", responseLength, contextLength, where);
  }

  /**
   * Checks that every prompt leaves room for {@code responseLength} new tokens in the context,
   * the length being the setting {@code setting} ({@code rlhf4j.eval.max-new-tokens}).
   *
   * @throws UnusableDataException naming the first prompt that does not fit
   */
  public static void checkPromptsFit(List<int[]> prompts, String setting, int responseLength,
      int contextLength, IntFunction<String> where) {
    for (int i = 0; i < prompts.size(); i++) {
      int length = prompts.get(i).length;
      if (length + responseLength > contextLength) {
        throw new UnusableDataException(where.apply(i) + ": the prompt is " + length
            + " tokens; with " + setting + " = " + responseLength + " that is "
            + (length + responseLength) + ", more than the models' context of " + contextLength
            + " tokens: shorten the prompt or lower " + setting.substring(
                setting.lastIndexOf('.') + 1));
      }
    }
  }
}
