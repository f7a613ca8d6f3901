package org.rlhf4j.model;

import java.util.Arrays;
import java.util.List;

/**
 * A (B, T) batch of token ids with an attention mask (1 real, 0 padding) and position ids that
 * count real tokens only, so padding on either side leaves every real token's output unchanged.
 */
public final class TokenBatch {
  private final int batch;
  private final int length;
  private final int[] ids; // (B, T)
  private final int[] mask; // (B, T)
  private final int[] positions; // (B, T)

  /** A batch from explicit arrays (each B·T long); positions are derived from the mask. */
  public TokenBatch(int batch, int length, int[] ids, int[] mask) {
    if (ids.length != batch * length || mask.length != batch * length) {
      throw new IllegalArgumentException("ids and mask must hold B*T = " + batch * length
          + " entries, got " + ids.length + " and " + mask.length);
    }
    this.batch = batch;
    this.length = length;
    this.ids = ids.clone();
    this.mask = mask.clone();
    this.positions = new int[ids.length];
    for (int b = 0; b < batch; b++) {
      int seen = 0;
      for (int t = 0; t < length; t++) {
        int i = b * length + t;
        if (mask[i] != 0 && mask[i] != 1) {
          throw new IllegalArgumentException("mask values must be 0 or 1, got " + mask[i]);
        }
        // a token's position is the number of real tokens before it: padding never shifts it
        positions[i] = seen;
        seen += mask[i];
      }
    }
  }

  /** Sequences padded on the right (training layout). */
  public static TokenBatch rightPadded(List<int[]> sequences, int padId) {
    return padded(sequences, padId, false);
  }

  /** Sequences padded on the left so that they all end at T − 1 (generation layout). */
  public static TokenBatch leftPadded(List<int[]> sequences, int padId) {
    return padded(sequences, padId, true);
  }

  private static TokenBatch padded(List<int[]> sequences, int padId, boolean left) {
    int b = sequences.size();
    int t = sequences.stream().mapToInt(s -> s.length).max().orElse(0);
    int[] ids = new int[b * t];
    int[] mask = new int[b * t];
    Arrays.fill(ids, padId);
    for (int i = 0; i < b; i++) {
      int[] s = sequences.get(i);
      int start = left ? t - s.length : 0;
      System.arraycopy(s, 0, ids, i * t + start, s.length);
      Arrays.fill(mask, i * t + start, i * t + start + s.length, 1);
    }
    return new TokenBatch(b, t, ids, mask);
  }

  public int batch() {
    return batch;
  }

  public int length() {
    return length;
  }

  public int rows() {
    return batch * length;
  }

  /** Token ids, (B, T) row-major; not copied, do not modify. */
  public int[] ids() {
    return ids;
  }

  /** 1 for real tokens, 0 for padding, (B, T); not copied, do not modify. */
  public int[] mask() {
    return mask;
  }

  /** Position ids, (B, T); not copied, do not modify. */
  public int[] positions() {
    return positions;
  }

  /** Index within row {@code b} of its last real token (T − 1 if the row has none). */
  public int lastRealIndex(int b) {
    for (int t = length - 1; t >= 0; t--) {
      if (mask[b * length + t] == 1) {
        return t;
      }
    }
    return length - 1;
  }

  /** The largest position id, which must fit the position embedding. */
  public int maxPosition() {
    return Arrays.stream(positions).max().orElse(0);
  }
}
