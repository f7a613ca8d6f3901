package org.rlhf4j.actors.serialization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.NotSerializableException;
import java.io.Serializable;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.DisabledJavaSerializer;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
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

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProtobufSerializerTest {

  /** The wire manifests, written out: changing one breaks every stored or in-flight payload. */
  private static final Map<Class<?>, String> PINNED_MANIFESTS = pinnedManifests();

  private ActorTestKit testKit;
  private Serialization serialization;

  @BeforeAll
  void startSystem() {
    testKit = ActorTestKit.create("ProtobufSerializerTest");
    serialization = SerializationExtension.get(testKit.system());
  }

  @AfterAll
  void stopSystem() {
    testKit.shutdownTestKit();
  }

  private static Map<Class<?>, String> pinnedManifests() {
    Map<Class<?>, String> manifests = new LinkedHashMap<>();
    manifests.put(Prompt.class, "Prompt");
    manifests.put(PromptBatch.class, "PromptBatch");
    manifests.put(Rollout.class, "Rollout");
    manifests.put(ScoredRollout.class, "ScoredRollout");
    manifests.put(Tensor.class, "Tensor");
    manifests.put(WeightsUpdate.class, "WeightsUpdate");
    manifests.put(Credit.class, "Credit");
    manifests.put(Metrics.class, "Metrics");
    manifests.put(LogRecord.class, "LogRecord");
    manifests.put(RolloutBatch.class, "RolloutBatch");
    manifests.put(NodeHello.class, "NodeHello");
    manifests.put(RolloutSetup.class, "RolloutSetup");
    manifests.put(ScorerSetup.class, "ScorerSetup");
    manifests.put(FrozenModelChunk.class, "FrozenModelChunk");
    manifests.put(ScorerReady.class, "ScorerReady");
    manifests.put(ScoreRequest.class, "ScoreRequest");
    manifests.put(ScoredBatch.class, "ScoredBatch");
    return manifests;
  }

  Stream<Arguments> everyWireMessage() {
    return SampleMessages.all().stream()
        .map(message -> Arguments.of(Named.of(message.getClass().getSimpleName(), message)));
  }

  private ProtobufSerializer boundSerializer() {
    return (ProtobufSerializer) serialization.findSerializerFor(SampleMessages.credit());
  }

  @Test
  void manifestsArePinnedToShortStableNames() {
    assertEquals(PINNED_MANIFESTS, ProtobufSerializer.manifests());
  }

  @Test
  void samplesCoverEveryRegisteredType() {
    Set<Class<?>> sampled = SampleMessages.all().stream().map(Object::getClass).collect(Collectors.toSet());
    assertEquals(ProtobufSerializer.manifests().keySet(), sampled);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyWireMessage")
  void everyWireMessageRoundTripsThroughTheBoundSerializer(Message message) {
    Serializer serializer = serialization.findSerializerFor(message);
    assertInstanceOf(ProtobufSerializer.class, serializer);
    assertEquals(ProtobufSerializer.IDENTIFIER, serializer.identifier());
    String manifest = Serializers.manifestFor(serializer, message);
    assertEquals(PINNED_MANIFESTS.get(message.getClass()), manifest);

    byte[] bytes = serialization.serialize(message).get();
    assertArrayEquals(message.toByteArray(), bytes);
    Object back = serialization.deserialize(bytes, serializer.identifier(), manifest).get();

    assertEquals(message, back);
    assertNotSame(message, back);
  }

  @Test
  void rolloutKeepsAll64ResponseIdsAndLogProbs() throws Exception {
    Rollout rollout = SampleMessages.rollout(64);
    ProtobufSerializer serializer = boundSerializer();

    Rollout back = (Rollout) serializer.fromBinary(serializer.toBinary(rollout), "Rollout");

    assertEquals(64, back.getResponseIdsCount());
    assertEquals(64, back.getBehaviourLogprobsCount());
    assertEquals(rollout.getResponseIdsList(), back.getResponseIdsList());
    for (int t = 0; t < 64; t++) { // bit-exact, not merely close
      assertEquals(Float.floatToRawIntBits(rollout.getBehaviourLogprobs(t)),
          Float.floatToRawIntBits(back.getBehaviourLogprobs(t)), "log-prob " + t);
    }
    assertEquals(rollout, back);
  }

  @Test
  void weightsUpdateTensorsStillMatchTheirCrc32cAfterRoundTrip() throws Exception {
    WeightsUpdate update = SampleMessages.weightsUpdate();
    ProtobufSerializer serializer = boundSerializer();

    WeightsUpdate back = (WeightsUpdate) serializer.fromBinary(serializer.toBinary(update), "WeightsUpdate");

    assertEquals(update, back);
    assertEquals(6, back.getTensorsCount());
    for (Tensor tensor : back.getTensorsList()) {
      long elements = tensor.getShapeList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
      assertEquals(elements * Float.BYTES, tensor.getData().size(), tensor.getName());
      assertEquals(SampleMessages.crc32c(tensor.getData().toByteArray()), tensor.getCrc32C(), tensor.getName());
    }
  }

  @Test
  void byteBufferPathWritesAndReadsTheSameBytesAsTheArrayPath() throws Exception {
    ProtobufSerializer serializer = boundSerializer();
    for (Message message : SampleMessages.all()) {
      byte[] expected = message.toByteArray();
      String manifest = serializer.manifest(message);
      for (ByteBuffer buf : new ByteBuffer[] {ByteBuffer.allocate(1 << 20), ByteBuffer.allocateDirect(1 << 20)}) {
        buf.position(7); // Artery writes after its envelope header
        serializer.toBinary(message, buf);
        assertEquals(7 + expected.length, buf.position(), manifest);

        buf.flip().position(7);
        ByteBuffer written = buf.slice();
        byte[] actual = new byte[written.remaining()];
        written.duplicate().get(actual);
        assertArrayEquals(expected, actual, manifest);
        assertEquals(message, serializer.fromBinary(written, manifest), manifest);
      }
    }
  }

  /**
   * {@code message} written after a 7-byte header into a buffer of exactly its size and read back
   * from the buffer positioned after the header, as Artery hands over its envelope.
   */
  private static Message throughFrame(ProtobufSerializer serializer, Message message, ByteBuffer frame)
      throws NotSerializableException {
    frame.position(7);
    serializer.toBinary(message, frame);
    frame.flip().position(7);
    return (Message) serializer.fromBinary(frame, serializer.manifest(message));
  }

  @Test
  void weightsChunkReadFromAHeapFrameKeepsItsTensorBytesThere() throws Exception {
    ProtobufSerializer serializer = boundSerializer();
    WeightsUpdate sent = SampleMessages.weightsUpdate();
    byte[] frame = new byte[7 + sent.getSerializedSize()];

    WeightsUpdate got = (WeightsUpdate) throughFrame(serializer, sent, ByteBuffer.wrap(frame));
    assertEquals(sent, got);
    Arrays.fill(frame, (byte) 0x55); // were Artery to reuse the frame

    // no copy was made, and the piece's CRC32C, which a receiver checks, no longer matches
    Tensor wte = got.getTensors(0);
    byte[] now = wte.getData().toByteArray();
    byte[] filled = new byte[now.length];
    Arrays.fill(filled, (byte) 0x55);
    assertArrayEquals(filled, now);
    assertTrue(wte.getCrc32C() != SampleMessages.crc32c(now));
  }

  @Test
  void messagesOtherThanWeightsChunksAndAnyFromADirectFrameAreCopies() throws Exception {
    ProtobufSerializer serializer = boundSerializer();
    for (Message sent : SampleMessages.all()) {
      String manifest = serializer.manifest(sent);
      boolean chunk = sent instanceof WeightsUpdate || sent instanceof FrozenModelChunk;
      ByteBuffer[] frames = chunk
          ? new ByteBuffer[] {ByteBuffer.allocateDirect(7 + sent.getSerializedSize())}
          : new ByteBuffer[] {ByteBuffer.allocate(7 + sent.getSerializedSize()),
              ByteBuffer.allocateDirect(7 + sent.getSerializedSize())};
      for (ByteBuffer frame : frames) {
        Message got = throughFrame(serializer, sent, frame);
        frame.clear();
        while (frame.hasRemaining()) {
          frame.put((byte) 0x55);
        }
        // a message kept after its frame (a log record carrying a tensor, say) must not change
        assertEquals(sent, got, manifest + (frame.isDirect() ? ", direct" : ", heap"));
      }
    }
  }

  @Test
  void byteBufferTooSmallForTheMessageOverflowsAndIsLeftUntouched() {
    ProtobufSerializer serializer = boundSerializer();
    Rollout rollout = SampleMessages.rollout(64);
    ByteBuffer buf = ByteBuffer.allocate(rollout.getSerializedSize() - 1);

    assertThrows(BufferOverflowException.class, () -> serializer.toBinary(rollout, buf));

    assertEquals(0, buf.position());
  }

  @Test
  void unknownManifestIsRejectedByName() {
    ProtobufSerializer serializer = boundSerializer();
    byte[] bytes = SampleMessages.credit().toByteArray();

    NotSerializableException e =
        assertThrows(NotSerializableException.class, () -> serializer.fromBinary(bytes, "Grant"));

    assertTrue(e.getMessage().contains("Unknown manifest [Grant]"), e.getMessage());
    assertTrue(e.getMessage().contains("Credit"), e.getMessage()); // lists the known ones
  }

  @Test
  void unknownManifestFailsThroughTheSerializationExtensionToo() {
    byte[] bytes = SampleMessages.credit().toByteArray();

    Throwable failure = serialization.deserialize(bytes, ProtobufSerializer.IDENTIFIER, "Grant").failed().get();

    assertInstanceOf(NotSerializableException.class, failure);
    assertTrue(failure.getMessage().contains("[Grant]"), failure.getMessage());
  }

  @Test
  void truncatedPayloadIsRejectedAsCorrupted() {
    ProtobufSerializer serializer = boundSerializer();
    // The last field written is finish_reason (field 9, a varint): dropping the final byte leaves its
    // tag without a value, which no parser can accept.
    byte[] whole = SampleMessages.rollout(64).toByteArray();
    byte[] truncated = Arrays.copyOf(whole, whole.length - 1);

    NotSerializableException e =
        assertThrows(NotSerializableException.class, () -> serializer.fromBinary(truncated, "Rollout"));

    assertTrue(e.getMessage().startsWith("Corrupted Rollout payload of " + truncated.length + " bytes"),
        e.getMessage());
    assertInstanceOf(InvalidProtocolBufferException.class, e.getCause());
  }

  @Test
  void payloadWithAnInvalidWireTypeIsRejectedAsCorrupted() {
    ProtobufSerializer serializer = boundSerializer();
    byte[] bytes = SampleMessages.weightsUpdate().toByteArray();
    bytes[0] = 0x0F; // field 1 with wire type 7, which does not exist

    NotSerializableException e =
        assertThrows(NotSerializableException.class, () -> serializer.fromBinary(bytes, "WeightsUpdate"));

    assertTrue(e.getMessage().startsWith("Corrupted WeightsUpdate payload"), e.getMessage());
    assertInstanceOf(InvalidProtocolBufferException.class, e.getCause());
  }

  @Test
  void oversizedMessageIsRefusedOnSendNamingSizeAndCap() {
    ProtobufSerializer serializer = new ProtobufSerializer(4096);
    WeightsUpdate update = SampleMessages.weightsUpdate(); // wte alone is 16 KiB
    int size = update.getSerializedSize();

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> serializer.toBinary(update));
    assertThrows(IllegalArgumentException.class, () -> serializer.toBinary(update, ByteBuffer.allocate(size)));

    assertEquals("WeightsUpdate of " + size + " bytes exceeds the cap of 4096 bytes ("
        + ProtobufSerializer.MAX_MESSAGE_BYTES_KEY + ")", e.getMessage());
  }

  @Test
  void oversizedPayloadIsRefusedOnReceiveBeforeParsing() {
    ProtobufSerializer serializer = new ProtobufSerializer(4096);
    byte[] bytes = SampleMessages.weightsUpdate().toByteArray();

    NotSerializableException fromArray =
        assertThrows(NotSerializableException.class, () -> serializer.fromBinary(bytes, "WeightsUpdate"));
    NotSerializableException fromBuffer = assertThrows(NotSerializableException.class,
        () -> serializer.fromBinary(ByteBuffer.wrap(bytes), "WeightsUpdate"));

    String expected = "Refusing WeightsUpdate payload of " + bytes.length + " bytes: exceeds the cap of 4096 bytes";
    assertTrue(fromArray.getMessage().startsWith(expected), fromArray.getMessage());
    assertTrue(fromBuffer.getMessage().startsWith(expected), fromBuffer.getMessage());
  }

  @Test
  void messageAtExactlyTheCapIsAccepted() throws Exception {
    Rollout rollout = SampleMessages.rollout(64);
    ProtobufSerializer serializer = new ProtobufSerializer(rollout.getSerializedSize());

    assertEquals(rollout, serializer.fromBinary(serializer.toBinary(rollout), "Rollout"));
  }

  @Test
  void capDefaultsTo64MiBWhenUnset() {
    assertEquals(64 << 20, ProtobufSerializer.DEFAULT_MAX_MESSAGE_BYTES);
    assertEquals(ProtobufSerializer.DEFAULT_MAX_MESSAGE_BYTES, boundSerializer().maxMessageBytes());
  }

  @Test
  void capIsReadFromTheActorSystemConfig() {
    ActorTestKit smallCap = ActorTestKit.create("SmallCap",
        ConfigFactory.parseString(ProtobufSerializer.MAX_MESSAGE_BYTES_KEY + " = 4 KiB"));
    try {
      Serialization small = SerializationExtension.get(smallCap.system());
      ProtobufSerializer serializer = (ProtobufSerializer) small.findSerializerFor(SampleMessages.credit());

      assertEquals(4096, serializer.maxMessageBytes());
      Throwable failure = small.serialize(SampleMessages.weightsUpdate()).failed().get();
      assertTrue(failure.getMessage().contains("exceeds the cap of 4096 bytes"), failure.getMessage());
      assertTrue(small.serialize(SampleMessages.credit()).isSuccess());
    } finally {
      smallCap.shutdownTestKit();
    }
  }

  @Test
  void capOutsideOneByteToTwoGibIsRejectedNamingTheKey() {
    for (String value : new String[] {"0", "3 GiB", "-5"}) {
      ConfigException e = assertThrows(ConfigException.class, () -> ProtobufSerializer.maxMessageBytesFrom(
          ConfigFactory.parseString(ProtobufSerializer.MAX_MESSAGE_BYTES_KEY + " = " + value)));
      assertTrue(e.getMessage().contains(ProtobufSerializer.MAX_MESSAGE_BYTES_KEY), e.getMessage());
    }
    ConfigException notASize = assertThrows(ConfigException.class, () -> ProtobufSerializer.maxMessageBytesFrom(
        ConfigFactory.parseString(ProtobufSerializer.MAX_MESSAGE_BYTES_KEY + " = lots")));
    assertTrue(notASize.getMessage().contains(ProtobufSerializer.MAX_MESSAGE_BYTES_KEY), notASize.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ProtobufSerializer(0));
  }

  @Test
  void unregisteredObjectIsRefusedOnSend() {
    ProtobufSerializer serializer = boundSerializer();
    Rollout.Builder notAMessage = SampleMessages.rollout(4).toBuilder();

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> serializer.toBinary(notAMessage));
    assertThrows(IllegalArgumentException.class, () -> serializer.manifest("text"));

    assertTrue(e.getMessage().contains(Rollout.Builder.class.getName()), e.getMessage());
  }

  record PlainSerializable(String text) implements Serializable {}

  @Test
  void javaSerializationIsDisabled() {
    PlainSerializable plain = new PlainSerializable("hello");

    assertInstanceOf(DisabledJavaSerializer.class, serialization.findSerializerFor(plain));
    Throwable failure = serialization.serialize(plain).failed().get();

    assertTrue(failure.getMessage().contains("allow-java-serialization"), failure.getMessage());
  }
}
