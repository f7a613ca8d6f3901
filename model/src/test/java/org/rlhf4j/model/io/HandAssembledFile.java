package org.rlhf4j.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Safetensors bytes put together field by field, so tests do not trust the writer they check. */
final class HandAssembledFile {
  private HandAssembledFile() {}

  /** The 8-byte little-endian length, the header JSON followed by {@code padding} spaces, the data. */
  static byte[] bytes(String headerJson, int padding, byte[] data) {
    byte[] json = headerJson.getBytes(StandardCharsets.UTF_8);
    ByteBuffer file = ByteBuffer.allocate(8 + json.length + padding + data.length).order(ByteOrder.LITTLE_ENDIAN);
    file.putLong(json.length + padding).put(json);
    for (int i = 0; i < padding; i++) {
      file.put((byte) ' ');
    }
    return file.put(data).array();
  }

  static Path write(Path file, String headerJson, int padding, byte[] data) throws IOException {
    return Files.write(file, bytes(headerJson, padding, data));
  }

  /** A little-endian buffer of {@code size} bytes for the data section. */
  static ByteBuffer data(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Single quotes in test JSON, for readability, become double quotes. */
  static String json(String singleQuoted) {
    return singleQuoted.replace('\'', '"');
  }
}
