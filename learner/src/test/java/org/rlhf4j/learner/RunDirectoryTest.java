package org.rlhf4j.learner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunDirectoryTest {
  @TempDir Path dir;

  /** A directory used by a run of {@code kind} that has written something. */
  private Path finished(String name, String kind) throws IOException {
    Path out = dir.resolve(name);
    try (RunDirectory d = RunDirectory.claim(out, kind, false)) {
      Files.writeString(d.path().resolve("metrics.jsonl"), "{\"step\":0}\n");
    }
    return out;
  }

  @Test
  void anSftRunIsRefusedADirectoryHoldingAPpoRunFromBeforeTheMarker() throws IOException {
    Path ppo = Files.createDirectories(dir.resolve("ppo"));
    Files.writeString(ppo.resolve("messages.r4jlog"), "log");
    RunDirectoryException e = assertThrows(RunDirectoryException.class,
        () -> RunDirectory.claim(ppo, RunDirectory.SFT, true));
    assertEquals(ppo + " holds a ppo run; choose another --out", e.getMessage());
    assertFalse(Files.exists(ppo.resolve(RunDirectory.LOCK)), "a refusal leaves no trace");
    assertFalse(Files.exists(ppo.resolve(RunDirectory.MARKER)));
  }

  @Test
  void aPpoRunIsRefusedAnSftRunsDirectory() throws IOException {
    Path sft = finished("sft", RunDirectory.SFT);
    RunDirectoryException e = assertThrows(RunDirectoryException.class,
        () -> RunDirectory.claim(sft, RunDirectory.PPO, true));
    assertEquals(sft + " holds an sft run; choose another --out", e.getMessage());
  }

  @Test
  void aSameKindRunNeedsResume() throws IOException {
    Path sft = finished("sft", RunDirectory.SFT);
    RunDirectoryException e = assertThrows(RunDirectoryException.class,
        () -> RunDirectory.claim(sft, RunDirectory.SFT, false));
    assertEquals(sft + " already holds an sft run; pass --resume to continue it or choose "
        + "another --out", e.getMessage());
    try (RunDirectory d = RunDirectory.claim(sft, RunDirectory.SFT, true)) {
      assertTrue(d.resume());
    }
  }

  @Test
  void theKindIsRecordedInTheMarker() throws IOException {
    Path rm = finished("rm", RunDirectory.RM);
    assertEquals("{\"kind\": \"rm\"}\n", Files.readString(rm.resolve(RunDirectory.MARKER)));
  }

  @Test
  void aDirectoryOfUnknownContentIsRefused() throws IOException {
    Path old = Files.createDirectories(dir.resolve("old/checkpoints/step-2"));
    RunDirectoryException e = assertThrows(RunDirectoryException.class,
        () -> RunDirectory.claim(old.getParent().getParent(), RunDirectory.DPO, true));
    assertTrue(e.getMessage().endsWith("is not empty and has no rlhf4j-run.json saying which run "
        + "it holds; choose another --out"), e.getMessage());
  }

  @Test
  void aDirectoryWithOnlyAMarkerIsTakenByAnyKind() throws IOException {
    Path out = dir.resolve("refused-early");
    RunDirectory.claim(out, RunDirectory.SFT, false).close(); // e.g. its data file was bad
    try (RunDirectory d = RunDirectory.claim(out, RunDirectory.DPO, false)) {
      assertEquals("{\"kind\": \"dpo\"}\n", Files.readString(out.resolve(RunDirectory.MARKER)));
    }
  }

  @Test
  void aFileIsNotARunDirectory() throws IOException {
    Path file = Files.writeString(dir.resolve("file"), "x");
    RunDirectoryException e = assertThrows(RunDirectoryException.class,
        () -> RunDirectory.claim(file, RunDirectory.SFT, false));
    assertEquals(file + " is a file, not a run directory; choose another --out", e.getMessage());
  }

  @Test
  void aReadOnlyDirectoryIsRefused() throws IOException {
    Path ro = Files.createDirectories(dir.resolve("ro"));
    Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
    Assumptions.assumeFalse(Files.isWritable(ro), "root may write anywhere");
    RunDirectoryException e = assertThrows(RunDirectoryException.class,
        () -> RunDirectory.claim(ro, RunDirectory.SFT, false));
    assertEquals(ro + " is not writable; choose another --out", e.getMessage());
  }

  @Test
  void aSecondClaimInThisJvmIsRefusedAndTheFirstKeepsItsLock() throws IOException {
    Path out = dir.resolve("run");
    try (RunDirectory first = RunDirectory.claim(out, RunDirectory.SFT, false)) {
      RunDirectoryException e = assertThrows(RunDirectoryException.class,
          () -> RunDirectory.claim(out, RunDirectory.SFT, true));
      assertEquals(out + " is in use by another rlhf4j process (pid "
          + ProcessHandle.current().pid() + ")", e.getMessage());
      assertThrows(RunDirectoryException.class,
          () -> RunDirectory.claim(out, RunDirectory.SFT, true), "still held");
    }
    RunDirectory.claim(out, RunDirectory.SFT, true).close();
  }

  @Test
  void aLiveProcessHoldingTheDirectoryIsRefusedUntilItIsKilled() throws Exception {
    Path out = dir.resolve("held");
    try (ChildJvm child = ChildJvm.start(HoldRunDirectory.class, out.toString(), "sft")) {
      child.awaitLine("claimed");
      RunDirectoryException e = assertThrows(RunDirectoryException.class,
          () -> RunDirectory.claim(out, RunDirectory.SFT, true));
      assertEquals(out + " is in use by another rlhf4j process (pid " + child.pid() + ")",
          e.getMessage());
      child.kill(); // kill -9: the OS releases its lock
    }
    try (RunDirectory d = RunDirectory.claim(out, RunDirectory.SFT, true)) {
      assertEquals(out, d.path());
    }
  }

  @Test
  void leftoversOfInterruptedWritesAreRemovedWhenTheDirectoryIsTaken() throws IOException {
    Path out = finished("run", RunDirectory.SFT);
    Path tmpCheckpoint = Files.createDirectories(out.resolve("checkpoints/.step-4.tmp-"
        + UUID.randomUUID()));
    Files.writeString(tmpCheckpoint.resolve("model.safetensors"), "half");
    Path tmpModel = Files.createDirectories(out.resolve(".model.tmp-" + UUID.randomUUID()));
    Path tmpFile = Files.writeString(out.resolve(".config.conf.7ab3.tmp"), "half");
    try (RunDirectory d = RunDirectory.claim(out, RunDirectory.SFT, true)) {
      assertFalse(Files.exists(tmpCheckpoint));
      assertFalse(Files.exists(tmpModel));
      assertFalse(Files.exists(tmpFile));
      assertTrue(Files.exists(out.resolve("metrics.jsonl")));
    }
  }

  @Test
  void leftoversAloneDoNotMakeADirectoryUsed() throws IOException {
    Path out = Files.createDirectories(dir.resolve("fresh"));
    Files.createDirectories(out.resolve(".model.tmp-" + UUID.randomUUID()));
    RunDirectory.claim(out, RunDirectory.SFT, false).close();
  }
}
