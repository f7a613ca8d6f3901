package org.rlhf4j.cli.report;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Text and links made safe for an HTML page, with each invisible or line-breaking character
 * shown as the escape a programmer would write for it.
 */
final class HtmlText {
  private HtmlText() {}

  /**
   * {@code text} as HTML text: the five characters with a meaning in HTML escaped, and each
   * control character shown as its escape in a marked span ({@code \r}, {@code \t}, a
   * backslash-u escape for the others), since a sampled completion may hold any of them and a
   * raw one would break or hide a line. A line feed shows as {@code \n} and still ends the line.
   * C1 controls, the Unicode line and paragraph separators and the bidirectional controls show
   * the same way. Escapes rather than Unicode's control pictures ({@code ␍}), which many fonts
   * lack.
   */
  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      String shown = control(c);
      if (shown != null) {
        out.append("<span class=\"ctl\">").append(shown).append("</span>");
        if (c == '\n') {
          out.append('\n');
        }
      } else {
        appendEscaped(out, c);
      }
    }
    return out.toString();
  }

  /** {@code text} as an attribute value: as {@link #escape}, without the markup. */
  static String attribute(String text) {
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      String shown = control(c);
      if (shown != null) {
        out.append(shown);
      } else {
        appendEscaped(out, c);
      }
    }
    return out.toString();
  }

  /**
   * A relative link to {@code path} (a file in the run directory, '/'-separated) as an
   * attribute value: each character a URL path may not hold is percent-encoded as UTF-8.
   */
  static String href(String path) {
    StringBuilder out = new StringBuilder(path.length());
    for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "-._~/".indexOf(c) >= 0) {
        out.append((char) c);
      } else {
        out.append(String.format(Locale.ROOT, "%%%02X", c));
      }
    }
    return out.toString();
  }

  private static void appendEscaped(StringBuilder out, char c) {
    switch (c) {
      case '&' -> out.append("&amp;");
      case '<' -> out.append("&lt;");
      case '>' -> out.append("&gt;");
      case '"' -> out.append("&quot;");
      case '\'' -> out.append("&#39;");
      default -> out.append(c);
    }
  }

  /** How {@code c} is shown when it is invisible or breaks a line, else null. */
  private static String control(char c) {
    return switch (c) {
      case '\n' -> "\\n";
      case '\r' -> "\\r";
      case '\t' -> "\\t";
      default -> c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029
          || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)
          ? String.format(Locale.ROOT, "\\u%04x", (int) c) : null;
    };
  }
}
