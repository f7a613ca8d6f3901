package org.rlhf4j.model.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A validated safetensors header: every tensor entry in data order, and the {@code __metadata__}
 * map exactly as stored (including {@link #DATA_CRC32C_KEY} when the file has one).
 *
 * @param dataStart the absolute file position where the data section begins (8 + header length)
 */
public record SafeTensorsHeader(List<TensorInfo> tensors, Map<String, String> metadata, long dataStart) {
  /** Metadata key holding the CRC32C of the whole data section as 8 lowercase hex digits. */
  public static final String DATA_CRC32C_KEY = "rlhf4j.data_crc32c";

  /** The header key that holds free-form string metadata instead of a tensor. */
  public static final String METADATA_KEY = "__metadata__";

  /** Bytes of the little-endian header length that opens every file. */
  public static final int LENGTH_PREFIX_BYTES = 8;

  /** Larger headers are refused before allocating them; Hugging Face's reader uses the same limit. */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  public SafeTensorsHeader {
    tensors = List.copyOf(tensors);
    metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata)); // keeps the stored order
  }

  /** Bytes from {@link #dataStart()} to the end of the file. */
  public long dataLength() {
    return tensors.isEmpty() ? 0 : tensors.get(tensors.size() - 1).end();
  }
}
