package org.rlhf4j.config;

import com.typesafe.config.Config;
import java.util.Optional;

/** The known key closest to a misspelt one, by edit distance, for "did you mean" hints. */
final class KeySuggestion {
  private KeySuggestion() {}

  static Optional<String> nearest(String unknown, Config known, String prefix) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (var entry : known.entrySet()) {
      String candidate = prefix + "." + entry.getKey();
      int d = distance(unknown, candidate);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
    // Only a near miss is worth suggesting; a far one misleads.
    return bestDistance <= Math.max(2, unknown.length() / 5) ? Optional.of(best) : Optional.empty();
  }

  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
