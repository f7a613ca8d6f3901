package org.rlhf4j.model.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Everything a safetensors file holds, fully read and checked.
 *
 * @param tensors name to array, in the order the data lies in the file
 * @param metadata the {@code __metadata__} strings, without {@link SafeTensorsHeader#DATA_CRC32C_KEY},
 *     which the reader has consumed; so it can be passed straight back to the writer
 * @param checksumVerified whether the file carried a data checksum (and it matched); false for files
 *     from other writers, such as Hugging Face's
 */
public record SafeTensorsFile(Map<String, INDArray> tensors, Map<String, String> metadata, boolean checksumVerified) {
  public SafeTensorsFile {
    // an unmodifiable view of a copy keeps the iteration order that Map.copyOf would lose
    tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }
}
