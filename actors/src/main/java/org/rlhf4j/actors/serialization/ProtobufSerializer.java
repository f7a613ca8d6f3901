package org.rlhf4j.actors.serialization;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.UncheckedIOException;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.ByteBufferSerializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.rlhf4j.protocol.pb.Credit;
import org.rlhf4j.protocol.pb.FrozenModelChunk;
import org.rlhf4j.protocol.pb.LogRecord;
import org.rlhf4j.protocol.pb.Metrics;
import org.rlhf4j.protocol.pb.NodeHello;
import org.rlhf4j.protocol.pb.Prompt;
import org.rlhf4j.protocol.pb.PromptBatch;
import org.rlhf4j.protocol.pb.Rollout;
import org.rlhf4j.protocol.pb.RolloutBatch;
import org.rlhf4j.protocol.pb.RolloutSetup;
import org.rlhf4j.protocol.pb.ScoreRequest;
import org.rlhf4j.protocol.pb.ScoredBatch;
import org.rlhf4j.protocol.pb.ScoredRollout;
import org.rlhf4j.protocol.pb.ScorerReady;
import org.rlhf4j.protocol.pb.ScorerSetup;
import org.rlhf4j.protocol.pb.Tensor;
import org.rlhf4j.protocol.pb.WeightsUpdate;

/**
 * Pekko serializer for the wire messages generated from {@code rlhf4j.proto}, and for nothing else.
 *
 * <p>Each registered type has a short, stable manifest ({@code "Rollout"}, {@code "WeightsUpdate"}, ...)
 * that is written next to the bytes; renaming or moving a Java class never changes the wire. Bytes
 * are the message's own protobuf encoding. On the way in, the manifest picks the parser from a fixed
 * table: no class is ever looked up by a name that arrived with the bytes, so only the registered
 * protobuf types can be deserialized (DESIGN.md, "Reliability").
 *
 * <p>Messages are capped in both directions at {@link #maxMessageBytes()}: from the optional setting
 * {@value #MAX_MESSAGE_BYTES_KEY} (a HOCON size such as {@code 16 MiB}), else
 * {@link #DEFAULT_MAX_MESSAGE_BYTES}. Pekko creates the serializer through
 * {@link #ProtobufSerializer(ExtendedActorSystem)}; it is bound in the actors module's
 * {@code reference.conf} as {@code rlhf4j-protobuf}.
 *
 * <p>Failures say what happened: an oversized or unregistered outgoing message throws
 * {@link IllegalArgumentException}; an unknown manifest, an oversized or an unparsable incoming
 * payload throws {@link NotSerializableException}. The {@link ByteBuffer} path (used by Artery)
 * throws {@link BufferOverflowException} when the message does not fit the buffer, which Artery
 * reports as an oversized payload.
 */
public final class ProtobufSerializer extends SerializerWithStringManifest implements ByteBufferSerializer {

  /**
   * The serializer id written with every payload; it must never change. Pekko reserves 0..40 for
   * itself; this is the big-endian int of the ASCII bytes {@code "RLHF"} (0x524C4846).
   */
  public static final int IDENTIFIER = 0x524C4846;

  /** Setting for the size cap, read by {@link #ProtobufSerializer(ExtendedActorSystem)} when present. */
  public static final String MAX_MESSAGE_BYTES_KEY = "pekko.serialization.rlhf4j-protobuf.max-message-bytes";

  /**
   * Cap used when {@value #MAX_MESSAGE_BYTES_KEY} is absent: 64 MiB bounds the memory one message can
   * claim on a receiver, far above any message that fits Artery's frames as configured by default.
   * A whole-model {@link WeightsUpdate} beyond it is sent in chunks or the cap is raised.
   */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 64 << 20;

  /**
   * One wire type. With {@code aliasesFrame} its {@code bytes} fields, when read from a heap
   * buffer, point into that buffer's array instead of a copy of it.
   */
  private record Registration(Class<? extends Message> type, String manifest, Parser<? extends Message> parser,
      boolean aliasesFrame) {
    Registration(Class<? extends Message> type, String manifest, Parser<? extends Message> parser) {
      this(type, manifest, parser, false);
    }
  }

  // The manifests are part of the wire format: add new types, never rename an existing manifest.
  private static final List<Registration> REGISTRATIONS = List.of(
      new Registration(Prompt.class, "Prompt", Prompt.parser()),
      new Registration(PromptBatch.class, "PromptBatch", PromptBatch.parser()),
      new Registration(Rollout.class, "Rollout", Rollout.parser()),
      new Registration(ScoredRollout.class, "ScoredRollout", ScoredRollout.parser()),
      new Registration(Tensor.class, "Tensor", Tensor.parser()),
      new Registration(WeightsUpdate.class, "WeightsUpdate", WeightsUpdate.parser(), true),
      new Registration(Credit.class, "Credit", Credit.parser()),
      new Registration(Metrics.class, "Metrics", Metrics.parser()),
      new Registration(LogRecord.class, "LogRecord", LogRecord.parser()),
      new Registration(RolloutBatch.class, "RolloutBatch", RolloutBatch.parser()),
      new Registration(NodeHello.class, "NodeHello", NodeHello.parser()),
      new Registration(RolloutSetup.class, "RolloutSetup", RolloutSetup.parser()),
      new Registration(ScorerSetup.class, "ScorerSetup", ScorerSetup.parser()),
      new Registration(FrozenModelChunk.class, "FrozenModelChunk", FrozenModelChunk.parser(), true),
      new Registration(ScorerReady.class, "ScorerReady", ScorerReady.parser()),
      new Registration(ScoreRequest.class, "ScoreRequest", ScoreRequest.parser()),
      new Registration(ScoredBatch.class, "ScoredBatch", ScoredBatch.parser()));

  private static final Map<Class<?>, String> MANIFEST_BY_TYPE = new LinkedHashMap<>();
  private static final Map<String, Parser<? extends Message>> PARSER_BY_MANIFEST = new LinkedHashMap<>();
  private static final Set<String> ALIASING = REGISTRATIONS.stream()
      .filter(Registration::aliasesFrame).map(Registration::manifest)
      .collect(Collectors.toUnmodifiableSet());

  static {
    for (Registration r : REGISTRATIONS) {
      MANIFEST_BY_TYPE.put(r.type(), r.manifest());
      PARSER_BY_MANIFEST.put(r.manifest(), r.parser());
    }
  }

  private final int maxMessageBytes;

  /** Used by Pekko: reads the cap from the system's configuration ({@link #maxMessageBytesFrom(Config)}). */
  public ProtobufSerializer(ExtendedActorSystem system) {
    this(maxMessageBytesFrom(system.settings().config()));
  }

  /** A serializer outside an actor system (tests, tools), refusing messages above {@code maxMessageBytes}. */
  public ProtobufSerializer(int maxMessageBytes) {
    if (maxMessageBytes <= 0) {
      throw new IllegalArgumentException("maxMessageBytes must be positive, got " + maxMessageBytes);
    }
    this.maxMessageBytes = maxMessageBytes;
  }

  /**
   * The cap configured at {@value #MAX_MESSAGE_BYTES_KEY}, or {@link #DEFAULT_MAX_MESSAGE_BYTES} when
   * the key is absent. A value that is not a size from 1 byte to 2 GiB - 1 (protobuf's own limit) is
   * refused with a {@link ConfigException} naming the key, where it was set, and the value received.
   */
  public static int maxMessageBytesFrom(Config config) {
    if (!config.hasPath(MAX_MESSAGE_BYTES_KEY)) {
      return DEFAULT_MAX_MESSAGE_BYTES;
    }
    long bytes = config.getBytes(MAX_MESSAGE_BYTES_KEY);
    if (bytes < 1 || bytes > Integer.MAX_VALUE) {
      throw new ConfigException.BadValue(config.getValue(MAX_MESSAGE_BYTES_KEY).origin(), MAX_MESSAGE_BYTES_KEY,
          "expected a size from 1 byte to " + Integer.MAX_VALUE + " bytes, got " + bytes + " bytes");
    }
    return (int) bytes;
  }

  /** The registered message types and their manifests, in registration order. */
  public static Map<Class<?>, String> manifests() {
    return Collections.unmodifiableMap(MANIFEST_BY_TYPE);
  }

  /** Largest payload, in bytes, this serializer writes or reads. */
  public int maxMessageBytes() {
    return maxMessageBytes;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    String manifest = MANIFEST_BY_TYPE.get(o.getClass());
    if (manifest == null) {
      throw new IllegalArgumentException("ProtobufSerializer cannot serialize " + o.getClass().getName()
          + "; registered types: " + MANIFEST_BY_TYPE.values());
    }
    return manifest;
  }

  @Override
  public byte[] toBinary(Object o) {
    return checkedOutgoing(o).toByteArray();
  }

  /** Writes {@code o} at the buffer's position and advances it; the buffer is untouched when it does not fit. */
  @Override
  public void toBinary(Object o, ByteBuffer buf) {
    Message message = checkedOutgoing(o);
    if (message.getSerializedSize() > buf.remaining()) {
      throw new BufferOverflowException();
    }
    CodedOutputStream out = CodedOutputStream.newInstance(buf);
    try {
      message.writeTo(out);
      out.flush(); // moves buf's position past the written bytes
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + manifest(o) + " into a ByteBuffer", e);
    }
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    Parser<? extends Message> parser = checkedIncoming(manifest, bytes.length);
    try {
      return parser.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw unparsable(manifest, bytes.length, e);
    }
  }

  /**
   * Reads a message from the buffer's remaining bytes. A weights chunk read from a heap buffer
   * keeps its tensor bytes in the buffer's array rather than a copy: Artery's TCP transport reads
   * each frame into an array of its own and never reuses it (only direct buffers go back to its
   * pool), and the copy was one of the four on the heap that each byte of a broadcast took.
   * Were a caller to overwrite the array before a receiver copies the chunk out, each piece's
   * CRC32C and the version's SHA-256 would still refuse it.
   */
  @Override
  public Object fromBinary(ByteBuffer buf, String manifest) throws NotSerializableException {
    int size = buf.remaining();
    Parser<? extends Message> parser = checkedIncoming(manifest, size);
    try {
      if (!buf.hasArray() || !ALIASING.contains(manifest)) {
        return parser.parseFrom(buf);
      }
      // a wrapped ByteString's reader counts as immutable, which aliasing needs
      CodedInputStream in = UnsafeByteOperations.unsafeWrap(buf.array(), buf.arrayOffset() + buf.position(), size)
          .newCodedInput();
      in.enableAliasing(true);
      Message message = parser.parseFrom(in);
      in.checkLastTagWas(0); // as parseFrom(byte[]) does: an end-group tag cannot end a message
      return message;
    } catch (InvalidProtocolBufferException e) {
      throw unparsable(manifest, size, e);
    }
  }

  private Message checkedOutgoing(Object o) {
    String manifest = manifest(o);
    Message message = (Message) o;
    int size = message.getSerializedSize();
    if (size > maxMessageBytes) {
      throw new IllegalArgumentException(manifest + " of " + size + " bytes exceeds the cap of " + maxMessageBytes
          + " bytes (" + MAX_MESSAGE_BYTES_KEY + ")");
    }
    return message;
  }

  private Parser<? extends Message> checkedIncoming(String manifest, int size) throws NotSerializableException {
    Parser<? extends Message> parser = PARSER_BY_MANIFEST.get(manifest);
    if (parser == null) {
      throw new NotSerializableException("Unknown manifest [" + manifest + "] for ProtobufSerializer (id "
          + IDENTIFIER + "); known manifests: " + PARSER_BY_MANIFEST.keySet());
    }
    if (size > maxMessageBytes) {
      throw new NotSerializableException("Refusing " + manifest + " payload of " + size
          + " bytes: exceeds the cap of " + maxMessageBytes + " bytes (" + MAX_MESSAGE_BYTES_KEY + ")");
    }
    return parser;
  }

  private static NotSerializableException unparsable(String manifest, int size, InvalidProtocolBufferException e) {
    NotSerializableException failure = new NotSerializableException(
        "Corrupted " + manifest + " payload of " + size + " bytes: " + e.getMessage());
    failure.initCause(e);
    return failure;
  }
}
