package org.rlhf4j.learner;

import java.util.ArrayList;
import java.util.List;
import org.rlhf4j.model.TokenBatch;

/**
 * Prompt + response sequences, right-padded, with the targets that score each response token
 * (row t predicts token t + 1) and the sums and spreads that move between per-token and
 * per-sequence numbers.
 */
public final class ResponseBatch {
  private final TokenBatch tokens;
  private final int[] targets; // (N): the response token predicted at this row, or −1
  private final int[] sequenceOf; // (N): which sequence a scored row belongs to, or −1
  private final int[] responseLengths; // (S)
  private final int[] promptLengths; // (S)

  private ResponseBatch(TokenBatch tokens, int[] targets, int[] sequenceOf, int[] responseLengths,
      int[] promptLengths) {
    this.tokens = tokens;
    this.targets = targets;
    this.sequenceOf = sequenceOf;
    this.responseLengths = responseLengths;
    this.promptLengths = promptLengths;
  }

  /** Sequences {@code prompts[i] + responses[i]}, cut to {@code maxLength} on the right. */
  public static ResponseBatch of(List<int[]> prompts, List<int[]> responses, int maxLength,
      int padId) {
    int s = prompts.size();
    List<int[]> sequences = new ArrayList<>(s);
    int[] promptLengths = new int[s];
    int[] responseLengths = new int[s];
    for (int i = 0; i < s; i++) {
      int[] p = prompts.get(i);
      int[] r = responses.get(i);
      if (p.length == 0) {
        throw new IllegalArgumentException("sequence " + i + " has an empty prompt: a response's "
            + "first token needs a position to be predicted from");
      }
      int length = Math.min(p.length + r.length, maxLength);
      int[] seq = new int[length];
      int keptPrompt = Math.min(p.length, length);
      System.arraycopy(p, 0, seq, 0, keptPrompt);
      System.arraycopy(r, 0, seq, keptPrompt, length - keptPrompt);
      sequences.add(seq);
      promptLengths[i] = p.length;
      responseLengths[i] = Math.max(0, length - p.length);
    }
    TokenBatch tokens = TokenBatch.rightPadded(sequences, padId);
    int t = tokens.length();
    int[] targets = new int[tokens.rows()];
    int[] sequenceOf = new int[tokens.rows()];
    java.util.Arrays.fill(targets, -1);
    java.util.Arrays.fill(sequenceOf, -1);
    for (int i = 0; i < s; i++) {
      for (int k = 0; k < responseLengths[i]; k++) {
        int row = i * t + promptLengths[i] - 1 + k;
        targets[row] = sequences.get(i)[promptLengths[i] + k];
        sequenceOf[row] = i;
      }
    }
    return new ResponseBatch(tokens, targets, sequenceOf, responseLengths, promptLengths);
  }

  public TokenBatch tokens() {
    return tokens;
  }

  /** Targets {@code (N)} for {@code PolicyEvaluation}: response tokens only. */
  public int[] targets() {
    return targets;
  }

  public int sequences() {
    return responseLengths.length;
  }

  /** Response tokens kept per sequence. */
  public int responseLength(int sequence) {
    return responseLengths[sequence];
  }

  /** The row of {@link #tokens()} whose target is response token {@code k} of {@code sequence}. */
  public int row(int sequence, int k) {
    return sequence * tokens.length() + promptLengths[sequence] - 1 + k;
  }

  /** Copies per-row values of the response tokens into a (S, width) token layout, 0 elsewhere. */
  public double[] toResponseLayout(double[] perRow, int width) {
    double[] out = new double[responseLengths.length * width];
    for (int s = 0; s < responseLengths.length; s++) {
      for (int k = 0; k < Math.min(width, responseLengths[s]); k++) {
        out[s * width + k] = perRow[row(s, k)];
      }
    }
    return out;
  }

  /** The inverse of {@link #toResponseLayout}: (S, width) values back onto their rows. */
  public double[] fromResponseLayout(double[] layout, int width) {
    double[] out = new double[targets.length];
    for (int s = 0; s < responseLengths.length; s++) {
      for (int k = 0; k < Math.min(width, responseLengths[s]); k++) {
        out[row(s, k)] = layout[s * width + k];
      }
    }
    return out;
  }

  /** 1 for each kept response token in a (S, width) layout. */
  public double[] responseMask(int width) {
    double[] mask = new double[responseLengths.length * width];
    for (int s = 0; s < responseLengths.length; s++) {
      java.util.Arrays.fill(mask, s * width, s * width + Math.min(width, responseLengths[s]), 1.0);
    }
    return mask;
  }

  /** Per-sequence sums (or means) of a per-row quantity over each response's tokens. */
  public double[] perSequence(double[] perRow, boolean average) {
    double[] out = new double[responseLengths.length];
    for (int row = 0; row < perRow.length; row++) {
      if (sequenceOf[row] >= 0) {
        out[sequenceOf[row]] += perRow[row];
      }
    }
    if (average) {
      for (int i = 0; i < out.length; i++) {
        out[i] /= Math.max(1, responseLengths[i]);
      }
    }
    return out;
  }

  /** The per-row gradient of a loss given its gradient with respect to {@link #perSequence}. */
  public double[] perRowGradient(double[] perSequenceGrad, boolean average) {
    double[] out = new double[targets.length];
    for (int row = 0; row < out.length; row++) {
      int s = sequenceOf[row];
      if (s >= 0) {
        out[row] = perSequenceGrad[s] / (average ? Math.max(1, responseLengths[s]) : 1);
      }
    }
    return out;
  }
}
