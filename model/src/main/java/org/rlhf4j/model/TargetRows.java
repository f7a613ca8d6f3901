package org.rlhf4j.model;

/**
 * The rows of a batch that have a next-token target, the only rows whose logits a loss reads:
 * {@code rows (M)} with {@code targets (M)} in the same order, and the way back to all N rows.
 *
 * @param rows the rows n with {@code targets[n] >= 0}, ascending
 * @param targets their targets
 * @param total N, the batch's rows
 */
public record TargetRows(int[] rows, int[] targets, int total) {

  /** The rows of {@code targets (N)} that are not negative. */
  public static TargetRows of(int[] targets) {
    int m = 0;
    for (int t : targets) {
      m += t >= 0 ? 1 : 0;
    }
    int[] rows = new int[m];
    int[] kept = new int[m];
    for (int n = 0, i = 0; n < targets.length; n++) {
      if (targets[n] >= 0) {
        rows[i] = n;
        kept[i++] = targets[n];
      }
    }
    return new TargetRows(rows, kept, targets.length);
  }

  /** How many rows have a target (M). */
  public int count() {
    return rows.length;
  }

  /** {@code perTarget (M)} spread over all N rows, 0 on rows without a target. */
  public double[] spread(double[] perTarget) {
    double[] out = new double[total];
    for (int i = 0; i < rows.length; i++) {
      out[rows[i]] = perTarget[i];
    }
    return out;
  }

  /** {@code perRow (N)} on the rows with a target, in their order (M). */
  public double[] gather(double[] perRow) {
    double[] out = new double[rows.length];
    for (int i = 0; i < rows.length; i++) {
      out[i] = perRow[rows[i]];
    }
    return out;
  }
}
