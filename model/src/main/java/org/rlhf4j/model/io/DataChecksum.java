package org.rlhf4j.model.io;

import static org.rlhf4j.model.io.SafeTensorsHeader.DATA_CRC32C_KEY;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The CRC32C of a file's data section, stored in its metadata as exactly 8 hex digits. The fixed
 * width lets the writer size the header before the data, and so the checksum, is known.
 */
final class DataChecksum {
  static final String PLACEHOLDER = "00000000";
  private static final Pattern EIGHT_HEX_DIGITS = Pattern.compile("[0-9a-fA-F]{8}");

  private DataChecksum() {}

  static String format(CRC32C crc) {
    return String.format("%08x", crc.getValue());
  }

  /**
   * Compares the stored checksum, if any, with the one computed over the data just read.
   *
   * @return whether the metadata held a checksum (and it matched)
   */
  static boolean verify(Map<String, String> metadata, CRC32C computed, Path file) throws CheckpointFormatException {
    String stored = metadata.get(DATA_CRC32C_KEY);
    if (stored == null) {
      return false;
    }
    if (!EIGHT_HEX_DIGITS.matcher(stored).matches()) {
      throw new CheckpointFormatException(file, "metadata " + DATA_CRC32C_KEY + " must be 8 hex digits, found \""
          + stored + "\"");
    }
    if (Long.parseLong(stored, 16) != computed.getValue()) {
      throw new CheckpointFormatException(file, "data checksum mismatch: metadata " + DATA_CRC32C_KEY
          + " records " + stored.toLowerCase(Locale.ROOT) + " but the data gives " + format(computed)
          + " (corrupted file)");
    }
    return true;
  }
}
