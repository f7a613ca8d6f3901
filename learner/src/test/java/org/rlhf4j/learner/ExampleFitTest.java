package org.rlhf4j.learner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExampleFitTest {
  @Test
  void anSftPromptThatFillsTheLengthLeavesNoCompletionToLearn() {
    SftTrainer.Example full = new SftTrainer.Example(new int[] {1, 2, 3, 4}, new int[] {5, 0});
    assertNotNull(ExampleFit.sftProblem(full, 4, true));
    assertNull(ExampleFit.sftProblem(full, 5, true), "one completion token fits");
    assertNull(ExampleFit.sftProblem(full, 4, false), "the prompt itself is trained on");
  }

  @Test
  void aPairIsAlikeWhenItsResponsesOnlyDifferPastTheLength() {
    PreferencePair pair = new PreferencePair(new int[] {1, 2}, new int[] {7, 8, 0},
        new int[] {7, 9, 0}, 0);
    assertTrue(ExampleFit.pairProblem(pair, 3).contains("the same"));
    assertNull(ExampleFit.pairProblem(pair, 4));
    assertTrue(ExampleFit.pairProblem(pair, 2).contains("no room"));
  }

  @Test
  void aFewDroppedExamplesAreCountedAndTheFirstIsNamed() {
    List<Integer> lengths = List.of(1, 9, 2, 9);
    ExampleFit.Kept<Integer> kept = ExampleFit.keep(lengths, n -> n > 5 ? "too long" : null,
        i -> "f:" + (i + 1), "len", 5);
    assertEquals(List.of(1, 2), kept.usable());
    assertEquals(2, kept.dropped());
    assertEquals("f:2: too long", kept.firstDropped());
  }

  @Test
  void fewerThanHalfUsableIsUnusableData() {
    UnusableDataException e = assertThrows(UnusableDataException.class, () -> ExampleFit.keep(
        List.of(9, 1, 9), n -> n > 5 ? "too long" : null, i -> "f:" + (i + 1), "len", 5));
    assertTrue(e.getMessage().startsWith("only 1 of 3 examples teach anything within len = 5"),
        e.getMessage());
    assertTrue(e.getMessage().contains("f:1: too long"), e.getMessage());
  }

  @Test
  void aPromptWithoutRoomForTheResponseIsNamed() {
    List<int[]> prompts = List.of(new int[3], new int[6]);
    ExampleFit.checkPromptsFit(prompts, 4, 10, i -> "p:" + i);
    UnusableDataException e = assertThrows(UnusableDataException.class,
        () -> ExampleFit.checkPromptsFit(prompts, 5, 10, i -> "p:" + i));
    assertTrue(e.getMessage().startsWith("p:1: the prompt is 6 tokens"), e.getMessage());
  }
}
