package org.rlhf4j.learner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.rlhf4j.model.TensorThreads;

/** The critic's thread runs work with the tensor threads asked for and rethrows its failures. */
class CriticThreadTest {
  @Test
  void workRunsOnTheCriticsThreadWithTheTensorThreadsAskedFor() {
    String[] seen = new String[1];
    // two counts one after the other on the one thread: each task gets its own, whatever the
    // machine's default
    for (int asked : new int[] {2, 1}) {
      int threads = CriticThread.join(CriticThread.start(asked, () -> {
        seen[0] = Thread.currentThread().getName();
        return TensorThreads.currentThread();
      }));
      assertEquals("rlhf4j-critic", seen[0]);
      assertEquals(asked, threads);
    }
  }

  @Test
  void aFailureOnTheCriticsThreadIsRethrownAsItWasThrown() {
    IllegalStateException thrown = new IllegalStateException("critic diverged");
    CompletableFuture<Object> failing = CriticThread.start(1, () -> {
      throw thrown;
    });
    assertSame(thrown, assertThrows(IllegalStateException.class,
        () -> CriticThread.join(failing)));
    CriticThread.await(failing); // when the caller is failing already: waits, throws nothing
    assertTrue(failing.isDone());
  }
}
