package org.rlhf4j.actors.serialization;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Message;
import java.io.NotSerializableException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Bytes off the wire that are not what was sent: thousands of mutated payloads of every wire type
 * either parse into a message of the manifest's type or fail with a named
 * {@link NotSerializableException}, read from an array or from a heap buffer as Artery hands
 * them over; nothing else escapes to take a receiving node down.
 */
class MutatedPayloadsTest {
  static final int TRIALS = 5000;

  @Test
  void everyMutatedPayloadParsesOrFailsByName() {
    ProtobufSerializer serializer = new ProtobufSerializer(1 << 20);
    List<Message> messages = SampleMessages.all();
    Random rng = new Random(14);
    int rejected = 0;
    for (int trial = 0; trial < TRIALS; trial++) {
      Message sent = messages.get(rng.nextInt(messages.size()));
      String manifest = serializer.manifest(sent);
      byte[] bytes = MutatedPayloads.mutate(serializer.toBinary(sent), rng);
      try {
        // Artery hands a frame over as a heap buffer, whose weights chunks are read in place
        Object got = trial % 2 == 0 ? serializer.fromBinary(bytes, manifest)
            : serializer.fromBinary(ByteBuffer.wrap(bytes), manifest);
        assertInstanceOf(sent.getClass(), got, "trial " + trial);
      } catch (NotSerializableException e) {
        assertTrue(e.getMessage().contains(manifest), e.getMessage());
        rejected++;
      } catch (RuntimeException | Error e) {
        fail("trial " + trial + ": a " + manifest + " payload of " + bytes.length
            + " bytes escaped as " + e, e);
      }
    }
    assertTrue(rejected > TRIALS / 10, "only " + rejected + " mutations were rejected");
  }
}
