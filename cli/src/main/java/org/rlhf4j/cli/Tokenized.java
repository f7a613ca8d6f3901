package org.rlhf4j.cli;

import java.util.ArrayList;
import java.util.List;
import org.rlhf4j.learner.PreferencePair;
import org.rlhf4j.learner.SftTrainer;
import org.rlhf4j.model.tokenizer.Tokenizer;
import org.rlhf4j.tasks.data.PreferenceExample;
import org.rlhf4j.tasks.data.SftExample;

/**
 * Text examples turned into token ids: responses end with EOS so the model learns to stop, and an
 * empty prompt becomes a lone EOS, GPT-2's start-of-text, so the first response token has a
 * position to be predicted from.
 */
final class Tokenized {
  private Tokenized() {}

  static List<SftTrainer.Example> sft(List<SftExample> examples, Tokenizer tok) {
    List<SftTrainer.Example> out = new ArrayList<>(examples.size());
    for (SftExample e : examples) {
      out.add(new SftTrainer.Example(prompt(e.prompt(), tok), response(e.completion(), tok)));
    }
    return out;
  }

  static List<PreferencePair> pairs(List<PreferenceExample> examples, Tokenizer tok) {
    List<PreferencePair> out = new ArrayList<>(examples.size());
    for (PreferenceExample e : examples) {
      out.add(new PreferencePair(prompt(e.prompt(), tok), response(e.chosen(), tok),
          response(e.rejected(), tok), e.margin().orElse(0)));
    }
    return out;
  }

  static int[] prompt(String text, Tokenizer tok) {
    int[] ids = tok.encode(text);
    return ids.length == 0 ? new int[] {tok.eosId()} : ids;
  }

  static int[] response(String text, Tokenizer tok) {
    int[] ids = tok.encode(text);
    int[] withEos = java.util.Arrays.copyOf(ids, ids.length + 1);
    withEos[ids.length] = tok.eosId();
    return withEos;
  }
}
