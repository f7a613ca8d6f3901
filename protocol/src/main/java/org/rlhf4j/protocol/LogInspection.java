package org.rlhf4j.protocol;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.rlhf4j.protocol.pb.LogRecord;

/**
 * What a full read of a message log found: record counts by message type, and the first corruption
 * if any (records after it are not counted).
 */
public record LogInspection(
    Path path, long records, long validBytes, Map<String, Long> countsByType,
    Optional<LogCorruptedException> corruption) {

  public LogInspection {
    countsByType = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(countsByType));
  }

  /** Reads every record of {@code path}, verifying each checksum. */
  public static LogInspection of(Path path) throws IOException {
    Map<String, Long> counts = new TreeMap<>();
    long records = 0;
    MessageLogReader reader;
    try {
      reader = MessageLogReader.open(path);
    } catch (LogCorruptedException e) {
      return new LogInspection(path, 0, 0, counts, Optional.of(e));
    }
    try (reader) {
      while (true) {
        Optional<LogRecord> next = reader.next();
        if (next.isEmpty()) {
          return new LogInspection(path, records, reader.position(), counts, Optional.empty());
        }
        counts.merge(typeName(next.get()), 1L, Long::sum);
        records++;
      }
    } catch (LogCorruptedException e) {
      return new LogInspection(path, records, e.offset(), counts, Optional.of(e));
    }
  }

  /** The snake_case name of the record's message type, as in the .proto file ({@code rollout}, ...). */
  public static String typeName(LogRecord record) {
    return record.getBodyCase() == LogRecord.BodyCase.BODY_NOT_SET
        ? "empty"
        : record.getBodyCase().name().toLowerCase(java.util.Locale.ROOT);
  }
}
