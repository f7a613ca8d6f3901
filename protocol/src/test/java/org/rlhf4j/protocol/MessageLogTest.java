package org.rlhf4j.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rlhf4j.protocol.pb.Credit;
import org.rlhf4j.protocol.pb.LogRecord;

class MessageLogTest {
  @TempDir Path dir;

  @Test
  void manyRandomMessagesRoundTripInOrder() throws IOException {
    RandomRecords random = new RandomRecords(7);
    List<LogRecord> written = new ArrayList<>();
    Path log = dir.resolve("run.log");
    try (MessageLogWriter writer = MessageLogWriter.create(log, FlushPolicy.BUFFERED)) {
      for (int i = 0; i < 2000; i++) {
        LogRecord r = random.next();
        written.add(r);
        writer.write(r);
      }
      assertEquals(2000, writer.records());
    }
    assertEquals(written, readAll(log).records);
    assertEquals(Optional.empty(), readAll(log).error);
  }

  @Test
  void truncationAtEveryByteReturnsTheWholeRecordsThenReportsTheTornOne() throws IOException {
    Layout layout = smallLog(5);
    byte[] full = Files.readAllBytes(layout.path);
    for (int cut = 0; cut < full.length; cut++) {
      Path torn = dir.resolve("torn-" + cut);
      Files.write(torn, Arrays.copyOf(full, cut));
      Result result = readAll(torn);
      int complete = layout.recordsEndingAtOrBefore(cut);
      assertEquals(layout.records.subList(0, complete), result.records, "cut at " + cut);
      if (cut < MessageLogFormat.MAGIC.length) {
        assertEquals(0, result.error.orElseThrow().offset(), "cut at " + cut);
      } else if (layout.isBoundary(cut)) {
        assertEquals(Optional.empty(), result.error, "cut at record boundary " + cut);
      } else {
        final int at = cut;
        LogCorruptedException e = result.error.orElseThrow(() -> new AssertionError("cut " + at));
        assertEquals(layout.starts.get(complete), e.offset(), "cut at " + cut);
        assertTrue(e.getMessage().contains("offset " + e.offset()), e.getMessage());
      }
    }
  }

  @Test
  void everySingleBitFlipIsReportedAtTheOffsetOfTheRecordHoldingIt() throws IOException {
    Layout layout = smallLog(4);
    byte[] full = Files.readAllBytes(layout.path);
    Path flipped = dir.resolve("flipped.log");
    for (int bit = 0; bit < full.length * 8; bit++) {
      byte[] copy = full.clone();
      copy[bit / 8] ^= (byte) (1 << (bit % 8));
      Files.write(flipped, copy);
      Result result = readAll(flipped);
      int at = bit / 8;
      LogCorruptedException e = result.error.orElseThrow(() -> new AssertionError("bit " + at));
      int holder = layout.recordHolding(at);
      long expectedOffset = holder < 0 ? 0 : layout.starts.get(holder);
      assertEquals(expectedOffset, e.offset(), "flipped byte " + at);
      assertEquals(layout.records.subList(0, Math.max(holder, 0)), result.records, "byte " + at);
    }
  }

  @Test
  void aForeignFileIsRejectedAtOffsetZero() throws IOException {
    Path foreign = dir.resolve("notes.txt");
    Files.writeString(foreign, "hello, this is not a log");
    LogCorruptedException e = assertThrows(LogCorruptedException.class,
        () -> MessageLogReader.open(foreign));
    assertEquals(0, e.offset());
  }

  @Test
  void aLengthAboveTheCapIsReportedInsteadOfAllocated() throws IOException {
    Layout layout = smallLog(1);
    LogCorruptedException e = assertThrows(LogCorruptedException.class, () -> {
      try (MessageLogReader reader = MessageLogReader.open(layout.path, 4)) {
        reader.next();
      }
    });
    assertEquals(MessageLogFormat.MAGIC.length, e.offset());
    assertTrue(e.reason().contains("limit of 4"), e.reason());
  }

  @Test
  void readingStopsForGoodAtTheFirstCorruption() throws IOException {
    Layout layout = smallLog(3);
    byte[] bytes = Files.readAllBytes(layout.path);
    bytes[layout.starts.get(1).intValue() + 2] ^= 1;
    Files.write(layout.path, bytes);
    try (MessageLogReader reader = MessageLogReader.open(layout.path)) {
      assertEquals(layout.records.get(0), reader.next().orElseThrow());
      assertThrows(LogCorruptedException.class, reader::next);
      assertThrows(LogCorruptedException.class, reader::next);
    }
  }

  @Test
  void createNeverOverwritesAnExistingFile() throws IOException {
    Layout layout = smallLog(2);
    byte[] before = Files.readAllBytes(layout.path);
    assertThrows(FileAlreadyExistsException.class,
        () -> MessageLogWriter.create(layout.path, FlushPolicy.FLUSH));
    assertEquals(Arrays.toString(before), Arrays.toString(Files.readAllBytes(layout.path)));
  }

  @Test
  void appendContinuesAValidLogAndRefusesACorruptedOne() throws IOException {
    Layout layout = smallLog(2);
    LogRecord extra = credit(99);
    try (MessageLogWriter writer = MessageLogWriter.append(layout.path, FlushPolicy.FLUSH)) {
      assertEquals(2, writer.records());
      writer.write(extra);
    }
    List<LogRecord> expected = new ArrayList<>(layout.records);
    expected.add(extra);
    assertEquals(expected, readAll(layout.path).records);

    byte[] bytes = Files.readAllBytes(layout.path);
    Files.write(layout.path, Arrays.copyOf(bytes, bytes.length - 1));
    LogCorruptedException e = assertThrows(LogCorruptedException.class,
        () -> MessageLogWriter.append(layout.path, FlushPolicy.FLUSH));
    assertEquals(layout.end, e.offset());
  }

  @Test
  void flushPolicyMakesEachRecordReadableBeforeClose() throws IOException {
    for (FlushPolicy policy : List.of(FlushPolicy.FLUSH, FlushPolicy.FSYNC)) {
      Path log = dir.resolve("live-" + policy.configName());
      try (MessageLogWriter writer = MessageLogWriter.create(log, policy)) {
        writer.write(credit(1));
        assertEquals(List.of(credit(1)), readAll(log).records, policy.name());
        writer.write(credit(2));
        assertEquals(List.of(credit(1), credit(2)), readAll(log).records, policy.name());
      }
    }
    Path buffered = dir.resolve("buffered");
    try (MessageLogWriter writer = MessageLogWriter.create(buffered, FlushPolicy.BUFFERED)) {
      writer.write(credit(1));
      assertEquals(List.of(), readAll(buffered).records);
      writer.flush();
      assertEquals(List.of(credit(1)), readAll(buffered).records);
    }
  }

  @Test
  void flushPolicyNamesParseAndUnknownNamesSayWhatIsAllowed() {
    for (FlushPolicy p : FlushPolicy.values()) {
      assertEquals(p, FlushPolicy.parse(p.configName()));
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FlushPolicy.parse("sometimes"));
    assertTrue(e.getMessage().contains("buffered, flush, fsync"), e.getMessage());
  }

  @Test
  void inspectionCountsRecordsByType() throws IOException {
    Path log = dir.resolve("counted.log");
    try (MessageLogWriter writer = MessageLogWriter.create(log, FlushPolicy.BUFFERED)) {
      writer.write(credit(1));
      writer.write(credit(2));
      writer.write(LogRecord.newBuilder().setSequence(3)
          .setRollout(org.rlhf4j.protocol.pb.Rollout.newBuilder().setRolloutId(5)).build());
    }
    LogInspection inspection = LogInspection.of(log);
    assertEquals(3, inspection.records());
    assertEquals(java.util.Map.of("credit", 2L, "rollout", 1L), inspection.countsByType());
    assertEquals(Files.size(log), inspection.validBytes());
    assertTrue(inspection.corruption().isEmpty());
  }

  private static LogRecord credit(int amount) {
    return LogRecord.newBuilder().setSequence(amount)
        .setCredit(Credit.newBuilder().setConsumerId("w").setAmount(amount)).build();
  }

  private Layout smallLog(int n) throws IOException {
    RandomRecords random = new RandomRecords(11);
    Path log = dir.resolve("small-" + n + "-" + System.nanoTime());
    List<LogRecord> records = new ArrayList<>();
    List<Long> starts = new ArrayList<>();
    long end;
    try (MessageLogWriter writer = MessageLogWriter.create(log, FlushPolicy.BUFFERED)) {
      for (int i = 0; i < n; i++) {
        LogRecord r = random.next();
        records.add(r);
        starts.add(writer.write(r));
      }
      end = writer.size();
    }
    assertEquals(end, Files.size(log));
    return new Layout(log, records, starts, end);
  }

  /** A written log and where each record starts. */
  private record Layout(Path path, List<LogRecord> records, List<Long> starts, long end) {
    long endOf(int i) {
      return i + 1 < starts.size() ? starts.get(i + 1) : end;
    }

    int recordsEndingAtOrBefore(long cut) {
      int n = 0;
      while (n < records.size() && endOf(n) <= cut) {
        n++;
      }
      return n;
    }

    boolean isBoundary(long cut) {
      return cut == MessageLogFormat.MAGIC.length || starts.contains(cut) || cut == end;
    }

    /** Index of the record holding byte {@code at}, or -1 for the header. */
    int recordHolding(long at) {
      for (int i = records.size() - 1; i >= 0; i--) {
        if (at >= starts.get(i)) {
          return i;
        }
      }
      return -1;
    }
  }

  private record Result(List<LogRecord> records, Optional<LogCorruptedException> error) {}

  private static Result readAll(Path path) throws IOException {
    List<LogRecord> out = new ArrayList<>();
    try (MessageLogReader reader = MessageLogReader.open(path)) {
      for (Optional<LogRecord> r = reader.next(); r.isPresent(); r = reader.next()) {
        out.add(r.get());
      }
      return new Result(out, Optional.empty());
    } catch (LogCorruptedException e) {
      return new Result(out, Optional.of(e));
    }
  }
}
