package org.rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CommandTextTest {
  @Test
  void aWordAShellWouldSplitOrExpandIsQuoted() {
    assertEquals("--out", CommandText.word("--out"));
    assertEquals("runs/demo-2.conf", CommandText.word("runs/demo-2.conf"));
    assertEquals("'my runs/x'", CommandText.word("my runs/x"));
    assertEquals("'it'\\''s'", CommandText.word("it's"));
    assertEquals("'$HOME'", CommandText.word("$HOME"));
    assertEquals("''", CommandText.word(""));
  }
}
