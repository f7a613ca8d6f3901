package org.rlhf4j.learner;

import java.nio.file.Path;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Consumer;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.io.Checkpoint;

/**
 * A child-JVM main: the SFT run of {@link SftRunTest#config}(7) in {@code args[0]}, which stops
 * inside the write of checkpoint {@code step-4} (its weights and moments already in the temp
 * directory), says so, and waits there to be killed.
 */
final class CrashMidCheckpoint {
  static final long STOP_AT = 4;

  private CrashMidCheckpoint() {}

  public static void main(String[] args) throws Exception {
    try (RunDirectory out = RunDirectory.claim(Path.of(args[0]), RunDirectory.SFT, false)) {
      SftRun.Spec spec = SftRunTest.spec(SftRunTest.config(7), out);
      TrainingRun.Stage stage = SftRun.stage(spec);
      TrainingRun.run(out, spec.config(), new TrainingRun.Stage() {
        @Override
        public long totalSteps() {
          return stage.totalSteps();
        }

        @Override
        public int checkpointEvery() {
          return stage.checkpointEvery();
        }

        @Override
        public String keyMetric() {
          return stage.keyMetric();
        }

        @Override
        public Map<String, Double> step(long step) {
          return stage.step(step);
        }

        @Override
        public Checkpoint.Contents checkpoint(long step) {
          Checkpoint.Contents c = stage.checkpoint(step);
          return step != STOP_AT ? c : new Checkpoint.Contents(c.config(), new Stalling(c),
              c.params(), c.optimizer(), c.step(), c.tokenizer(), c.state());
        }

        @Override
        public void restore(Checkpoint.Contents saved) {
          stage.restore(saved);
        }
      }, ProgressListener.none());
    }
  }

  /** The heads, which Checkpoint.save reads only for rlhf4j.json, after the tensor files. */
  private static final class Stalling extends AbstractSet<Head> {
    private final Checkpoint.Contents contents;

    Stalling(Checkpoint.Contents contents) {
      this.contents = contents;
    }

    @Override
    public void forEach(Consumer<? super Head> action) {
      System.out.println("writing step-" + STOP_AT);
      System.out.flush();
      try {
        Thread.sleep(600_000); // until the test kills it; the bound only spares a lost child
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      contents.heads().forEach(action);
    }

    @Override
    public Iterator<Head> iterator() {
      return contents.heads().iterator();
    }

    @Override
    public int size() {
      return contents.heads().size();
    }
  }
}
