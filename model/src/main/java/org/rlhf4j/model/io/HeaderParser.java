package org.rlhf4j.model.io;

import static org.rlhf4j.model.io.SafeTensorsHeader.LENGTH_PREFIX_BYTES;
import static org.rlhf4j.model.io.SafeTensorsHeader.MAX_HEADER_BYTES;
import static org.rlhf4j.model.io.SafeTensorsHeader.METADATA_KEY;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads and checks a safetensors header against the file it came from, so that no later step can
 * run past the data or misread it: every check that needs no tensor data happens here.
 */
final class HeaderParser {
  // a repeated tensor name would silently drop a tensor, and junk after the object hides damage
  private static final ObjectMapper JSON =
      new ObjectMapper(JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private static final String KNOWN_DTYPES =
      List.of(DType.values()).stream().map(DType::name).collect(Collectors.joining(", "));

  private HeaderParser() {}

  static SafeTensorsHeader read(FileChannel channel, Path file) throws IOException {
    long fileSize = channel.size();
    if (fileSize < LENGTH_PREFIX_BYTES) {
      throw new CheckpointFormatException(file, "file is " + fileSize + " bytes, too short for the "
          + LENGTH_PREFIX_BYTES + "-byte header length");
    }
    ByteBuffer prefix = ByteBuffer.allocate(LENGTH_PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    ChannelIo.readFully(channel, prefix, 0, file, "the header length");
    long headerLength = prefix.getLong(0);
    // unsigned in the format: a negative long is a length above 2^63
    if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
      throw new CheckpointFormatException(file, "header length " + Long.toUnsignedString(headerLength)
          + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
    }
    long afterPrefix = fileSize - LENGTH_PREFIX_BYTES;
    if (headerLength > afterPrefix) {
      throw new CheckpointFormatException(file, "header length " + headerLength + " is larger than the "
          + afterPrefix + " bytes after the length prefix (truncated file?)");
    }
    ByteBuffer json = ByteBuffer.allocate((int) headerLength);
    ChannelIo.readFully(channel, json, LENGTH_PREFIX_BYTES, file, "the header");
    long dataStart = LENGTH_PREFIX_BYTES + headerLength;
    return parse(json.array(), dataStart, fileSize - dataStart, file);
  }

  /** Checks the header JSON of a file whose data section holds {@code dataLength} bytes. */
  static SafeTensorsHeader parse(byte[] json, long dataStart, long dataLength, Path file)
      throws CheckpointFormatException {
    JsonNode root = parseJson(json, file);
    Map<String, String> metadata = Map.of();
    List<TensorInfo> tensors = new ArrayList<>();
    for (Map.Entry<String, JsonNode> field : root.properties()) {
      if (field.getKey().equals(METADATA_KEY)) {
        metadata = parseMetadata(field.getValue(), file);
      } else {
        tensors.add(parseTensor(field.getKey(), field.getValue(), file));
      }
    }
    // data order need not be header order; the format only asks that the byte ranges tile the data
    tensors.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    checkTiling(tensors, dataLength, file);
    return new SafeTensorsHeader(tensors, metadata, dataStart);
  }

  private static JsonNode parseJson(byte[] json, Path file) throws CheckpointFormatException {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " (at byte " + e.getLocation().getByteOffset() + ")";
      throw new CheckpointFormatException(file, null, "header is not valid JSON" + where + ": "
          + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new CheckpointFormatException(file, null, "header could not be decoded: " + e.getMessage(), e);
    }
    if (root == null || root.isMissingNode()) {
      throw new CheckpointFormatException(file, "header is empty, expected a JSON object");
    }
    if (!root.isObject()) {
      throw new CheckpointFormatException(file, "header must be a JSON object, found " + root.getNodeType());
    }
    return root;
  }

  private static Map<String, String> parseMetadata(JsonNode node, Path file) throws CheckpointFormatException {
    if (!node.isObject()) {
      throw new CheckpointFormatException(file, METADATA_KEY + " must be an object of strings, found "
          + node.getNodeType());
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> entry : node.properties()) {
      if (!entry.getValue().isTextual()) {
        throw new CheckpointFormatException(file, METADATA_KEY + " value for \"" + entry.getKey()
            + "\" must be a string, found " + entry.getValue().getNodeType());
      }
      metadata.put(entry.getKey(), entry.getValue().textValue());
    }
    return metadata;
  }

  private static TensorInfo parseTensor(String name, JsonNode entry, Path file) throws CheckpointFormatException {
    if (!entry.isObject()) {
      throw new CheckpointFormatException(file, name, "entry must be an object with dtype, shape and "
          + "data_offsets, found " + entry.getNodeType());
    }
    DType dtype = parseDType(name, entry.get("dtype"), file);
    List<Long> shape = nonNegativeLongs(name, entry, "shape", file);
    List<Long> offsets = nonNegativeLongs(name, entry, "data_offsets", file);
    if (offsets.size() != 2) {
      throw new CheckpointFormatException(file, name, "data_offsets must be [begin, end], found "
          + offsets.size() + " numbers");
    }
    long begin = offsets.get(0);
    long end = offsets.get(1);
    if (end < begin) {
      throw new CheckpointFormatException(file, name, "data_offsets " + offsets + " end before they begin");
    }
    long needed = byteLength(name, shape, dtype, file);
    if (needed != end - begin) {
      throw new CheckpointFormatException(file, name, "shape " + shape + " needs " + needed
          + " bytes, data_offsets give " + (end - begin));
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  private static DType parseDType(String name, JsonNode node, Path file) throws CheckpointFormatException {
    if (node == null || !node.isTextual()) {
      throw new CheckpointFormatException(file, name, "dtype must be a string, found "
          + (node == null ? "nothing" : node.getNodeType()));
    }
    return DType.fromHeaderName(node.textValue()).orElseThrow(() -> new CheckpointFormatException(file, name,
        "unknown dtype \"" + node.textValue() + "\", expected one of " + KNOWN_DTYPES));
  }

  private static List<Long> nonNegativeLongs(String name, JsonNode entry, String key, Path file)
      throws CheckpointFormatException {
    JsonNode node = entry.get(key);
    if (node == null || !node.isArray()) {
      throw new CheckpointFormatException(file, name, key + " must be an array of integers, found "
          + (node == null ? "nothing" : node.getNodeType()));
    }
    List<Long> values = new ArrayList<>();
    for (JsonNode element : node) {
      if (!element.isIntegralNumber() || !element.canConvertToLong() || element.longValue() < 0) {
        throw new CheckpointFormatException(file, name, key + " must hold integers from 0 to "
            + Long.MAX_VALUE + ", found " + element);
      }
      values.add(element.longValue());
    }
    return values;
  }

  private static long byteLength(String name, List<Long> shape, DType dtype, Path file)
      throws CheckpointFormatException {
    try {
      long bytes = dtype.byteSize();
      for (long dimension : shape) {
        bytes = Math.multiplyExact(bytes, dimension);
      }
      return bytes;
    } catch (ArithmeticException overflow) {
      throw new CheckpointFormatException(file, name, "shape " + shape + " of " + dtype
          + " needs more than " + Long.MAX_VALUE + " bytes");
    }
  }

  /** Sorted ranges must start at 0, meet end to begin, and end exactly where the file does. */
  private static void checkTiling(List<TensorInfo> sorted, long dataLength, Path file)
      throws CheckpointFormatException {
    long expectedBegin = 0;
    String previous = null;
    for (TensorInfo tensor : sorted) {
      String offsets = "data_offsets [" + tensor.begin() + ", " + tensor.end() + "]";
      if (tensor.begin() < expectedBegin) {
        throw new CheckpointFormatException(file, tensor.name(), offsets + " overlap tensor " + previous
            + ", which ends at " + expectedBegin);
      }
      if (tensor.begin() > expectedBegin) {
        throw new CheckpointFormatException(file, tensor.name(), offsets + " leave a gap of "
            + (tensor.begin() - expectedBegin) + " bytes after "
            + (previous == null ? "the start of the data" : "tensor " + previous)
            + "; expected begin " + expectedBegin);
      }
      expectedBegin = tensor.end();
      previous = tensor.name();
    }
    if (expectedBegin > dataLength) {
      throw new CheckpointFormatException(file, previous, "data_offsets end at " + expectedBegin
          + " but the file holds only " + dataLength + " data bytes (truncated file?)");
    }
    if (expectedBegin < dataLength) {
      throw new CheckpointFormatException(file, "tensors end at data byte " + expectedBegin
          + " but the file holds " + dataLength + " data bytes; the last " + (dataLength - expectedBegin)
          + " belong to no tensor");
    }
  }
}
