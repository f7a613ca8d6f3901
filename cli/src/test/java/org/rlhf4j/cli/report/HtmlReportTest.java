package org.rlhf4j.cli.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.util.OptionalDouble;
import org.rlhf4j.cli.report.HtmlReport.Column;
import org.rlhf4j.cli.report.HtmlReport.Completion;
import org.rlhf4j.cli.report.HtmlReport.Sample;

class HtmlReportTest {
  @TempDir Path dir;

  static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length())) {
      n++;
    }
    return n;
  }

  @Test
  void thePageEmbedsItsImagesAndNeedsNothingElse() throws IOException {
    Path png = dir.resolve("loss.png");
    Plots.lines(png, "loss", "loss", List.of(PlotsTest.noisyDecay("train/loss", 20, 1)), 0.6);
    Map<String, Cell> facts = new LinkedHashMap<>();
    facts.put("run directory", Cell.code("/runs/demo"));
    facts.put("sft", Cell.of("SFT, up to step 20"));
    Path html = dir.resolve("report.html");
    new HtmlReport("demo").facts("", facts).figure("SFT loss", png, "falls")
        .figure("again", png, "the same image twice").write(html);
    String page = Files.readString(html, StandardCharsets.UTF_8);
    assertEquals(2, count(page, "data:image/png;base64,"));
    Matcher m = Pattern.compile("data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(page);
    assertTrue(m.find());
    assertArrayEquals(Files.readAllBytes(png), Base64.getDecoder().decode(m.group(1)),
        "the embedded bytes are the PNG's");
    assertTrue(page.contains("<th>sft</th><td>SFT, up to step 20</td>"), page);
    assertFalse(page.contains("http://") || page.contains("https://") || page.contains("<link")
        || page.contains("<script"), "no external resources");
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(2, files.count(), "only loss.png and report.html, no temp file");
    }
  }

  @Test
  void textIsEscapedEverywhere() {
    String page = new HtmlReport("a <b> & \"c\"").facts("", Map.of("k<", Cell.of("v&")))
        .table("t", List.of("<th>"), List.of(List.of("1 < 2")))
        .samples("Samples", "", List.of(new Sample("say <script>alert('x')</script>",
            List.of(new Completion("sft", "before & after", OptionalDouble.empty()),
                new Completion("ppo<", "\"quoted\" 'single'", OptionalDouble.empty())))))
        .footer(Map.of("f<", Cell.link("a&b", "x y/\"q\".conf")))
        .render();
    assertFalse(page.contains("<script>"), page);
    assertTrue(page.contains("say &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), page);
    assertTrue(page.contains("<title>a &lt;b&gt; &amp; &quot;c&quot;</title>"), page);
    assertTrue(page.contains("<th>k&lt;</th><td>v&amp;</td>"), page);
    assertTrue(page.contains("<th>&lt;th&gt;</th>"), page);
    assertTrue(page.contains("1 &lt; 2"), page);
    assertTrue(page.contains("before &amp; after"), page);
    assertTrue(page.contains("&quot;quoted&quot; &#39;single&#39;"), page);
    assertTrue(page.contains(">ppo&lt;</div>"), page);
    assertTrue(page.contains("<th>f&lt;</th><td><a href=\"x%20y/%22q%22.conf\">a&amp;b</a>"),
        page);
  }

  /** What {@link HtmlText#escape} marks as a control character shown as {@code shown}. */
  private static String ctl(String shown) {
    return "<span class=\"ctl\">" + shown + "</span>";
  }

  @Test
  void controlCharactersShowAsTheirEscapes() {
    assertEquals("a" + ctl("\\u0015") + "b" + ctl("\\u0000") + "c" + ctl("\\u007f") + " "
        + ctl("\\t") + ctl("\\n") + "\n", HtmlText.escape("a\u0015b\u0000c\u007f \t\n"));
  }

  @Test
  void aCarriageReturnAndOtherLineBreakersShowInsteadOfBreakingTheLine() {
    String shown = HtmlText.escape("one\rtwo\u0085three\u2028four\u202efive");
    assertEquals("one" + ctl("\\r") + "two" + ctl("\\u0085") + "three" + ctl("\\u2028")
        + "four" + ctl("\\u202e") + "five", shown);
    for (char c : shown.toCharArray()) {
      assertTrue(c >= 0x20 && c != 0x7f && !(c >= 0x80 && c <= 0x9f)
          && Character.getType(c) != Character.LINE_SEPARATOR
          && Character.getType(c) != Character.PARAGRAPH_SEPARATOR
          && Character.getType(c) != Character.FORMAT, "left in: " + (int) c);
    }
    assertEquals("a\\rb &amp; c", HtmlText.attribute("a\rb & c"), "no markup in an attribute");
  }

  @Test
  void aSampleCarriesItsGoldReward() {
    String page = new HtmlReport("r").samples("Samples", "scores", List.of(new Sample("p",
        List.of(new Completion("PPO KL coef = 0.3", "good\r", OptionalDouble.of(0.41234)),
            new Completion("SFT", "bad", OptionalDouble.empty()))))).render();
    assertTrue(page.contains("PPO KL coef = 0.3 <span class=\"score\">gold reward 0.4123</span>"
        + "</div><pre>good" + ctl("\\r") + "</pre>"), page);
    assertTrue(page.contains(">SFT</div><pre>bad</pre>"), page);
  }

  @Test
  void sectionsComeInTheOrderAddedAndTheFooterLast() {
    String page = new HtmlReport("r").footer(Map.of("seconds", Cell.of("12")))
        .facts("", Map.of("a", Cell.of("b")))
        .samples("Samples", "", List.of())
        .table("Evals", List.of("measure", "eval.json"), List.of(List.of("kl", "0.5")))
        .render();
    int facts = page.indexOf("<th>a</th>");
    int samples = page.indexOf("<h2>Samples</h2>");
    int table = page.indexOf("<h2>Evals</h2>");
    int footer = page.indexOf("<footer>");
    assertTrue(0 < facts && facts < samples && samples < table && table < footer, page);
    assertTrue(page.contains("<td class=\"num\">0.5</td>"), page);
  }

  @Test
  void anIntervalSitsInItsOwnCellBesideItsValueUnderOneHeading() {
    String page = new HtmlReport("r").table("t", List.of(Column.of("model"),
            new Column("KL", "nats", 2)),
        List.of(List.of(Cell.of("PPO"), Cell.of("2.5"), Cell.interval("[2, 3]"))), List.of())
        .render();
    assertTrue(page.contains("<th colspan=\"2\">KL<span class=\"note\">nats</span></th>"), page);
    assertTrue(page.contains("<td class=\"num pair\">2.5</td><td class=\"ci\">[2, 3]</td>"),
        page);
  }

  @Test
  void aRowOfTheWrongWidthIsRefused() {
    HtmlReport report = new HtmlReport("r");
    assertThrows(IllegalArgumentException.class,
        () -> report.table("t", List.of("a", "b"), List.of(List.of("1"))));
    assertThrows(IllegalArgumentException.class, () -> report.table("t",
        List.of(new Column("KL", "", 2)), List.of(List.of(Cell.of("1"))), List.of()));
  }
}
