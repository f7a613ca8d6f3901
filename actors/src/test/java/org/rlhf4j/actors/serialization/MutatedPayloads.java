package org.rlhf4j.actors.serialization;

import java.util.Arrays;
import java.util.Random;

/** Payloads damaged the ways a wire or a hostile sender damages them, for property tests. */
public final class MutatedPayloads {
  private MutatedPayloads() {}

  /** {@code bytes} changed one of five ways: bits flipped, cut, grown, spliced or replaced. */
  public static byte[] mutate(byte[] bytes, Random rng) {
    switch (rng.nextInt(5)) {
      case 0 -> {
        byte[] out = bytes.clone();
        for (int i = 1 + rng.nextInt(4); i > 0 && out.length > 0; i--) {
          out[rng.nextInt(out.length)] ^= (byte) (1 << rng.nextInt(8));
        }
        return out;
      }
      case 1 -> {
        return Arrays.copyOf(bytes, rng.nextInt(bytes.length + 1));
      }
      case 2 -> {
        byte[] extra = new byte[1 + rng.nextInt(16)];
        rng.nextBytes(extra);
        int at = rng.nextInt(bytes.length + 1);
        byte[] out = new byte[bytes.length + extra.length];
        System.arraycopy(bytes, 0, out, 0, at);
        System.arraycopy(extra, 0, out, at, extra.length);
        System.arraycopy(bytes, at, out, at + extra.length, bytes.length - at);
        return out;
      }
      case 3 -> {
        int from = rng.nextInt(bytes.length + 1);
        int to = from + rng.nextInt(bytes.length - from + 1);
        byte[] out = new byte[bytes.length + (to - from)];
        System.arraycopy(bytes, 0, out, 0, to);
        System.arraycopy(bytes, from, out, to, bytes.length - from);
        return out;
      }
      default -> {
        byte[] out = new byte[rng.nextInt(64)];
        rng.nextBytes(out);
        return out;
      }
    }
  }

}
