package org.rlhf4j.protocol;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The message-log file layout: an 8-byte magic, then records of
 * {@code [varint length][protobuf LogRecord][CRC32C, 4 bytes little-endian]}.
 *
 * <p>The checksum covers the length bytes as well as the payload, so a flipped bit in a length is
 * caught as surely as one in a message.
 */
public final class MessageLogFormat {
  /** The first bytes of every message log; format version 1. */
  static final byte[] MAGIC = "R4JLOG01".getBytes(StandardCharsets.US_ASCII);

  /** Bytes before the first record: where an empty log ends. */
  public static final int HEADER_BYTES = 8;

  /** Bytes of the trailing checksum. */
  static final int CRC_BYTES = 4;

  /** A varint of a 32-bit length never needs more than five bytes. */
  static final int MAX_VARINT_BYTES = 5;

  /** Default cap on one record's payload: large enough for GPT-2 small's weights in float32. */
  public static final int DEFAULT_MAX_RECORD_BYTES = 1 << 30;

  private MessageLogFormat() {}

  /** Writes {@code value} as an unsigned LEB128 varint into {@code out}; returns the bytes used. */
  static int encodeVarint(int value, byte[] out) {
    int n = 0;
    int v = value;
    while ((v & ~0x7F) != 0) {
      out[n++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out[n++] = (byte) v;
    return n;
  }

  /** CRC32C of the length bytes followed by the payload. */
  static int checksum(byte[] lengthBytes, int lengthCount, byte[] payload) {
    CRC32C crc = new CRC32C();
    crc.update(lengthBytes, 0, lengthCount);
    crc.update(payload, 0, payload.length);
    return (int) crc.getValue();
  }

  static void putIntLe(byte[] out, int value) {
    out[0] = (byte) value;
    out[1] = (byte) (value >>> 8);
    out[2] = (byte) (value >>> 16);
    out[3] = (byte) (value >>> 24);
  }

  static int getIntLe(byte[] in) {
    return (in[0] & 0xFF) | (in[1] & 0xFF) << 8 | (in[2] & 0xFF) << 16 | (in[3] & 0xFF) << 24;
  }
}
