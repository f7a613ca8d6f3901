package org.rlhf4j.actors.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.rlhf4j.actors.serialization.ProtobufSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.model.ParameterLayout;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.protocol.pb.Tensor;
import org.rlhf4j.protocol.pb.WeightsUpdate;

class WeightChunksTest {
  // 27,424 floats, so 4 KiB chunks cut tensors into pieces
  private static final int CHUNK_BYTES = 4096;

  private static ParameterStore params(long seed) {
    return TinyWeights.params(seed);
  }

  @Test
  void aVersionInShuffledChunksIsReassembledBitForBit() throws Exception {
    ParameterStore sent = params(1);
    List<WeightsUpdate> chunks = new ArrayList<>(WeightChunks.of(sent, 7, CHUNK_BYTES));
    long floats = sent.flat().length();
    assertEquals(27_424, floats);
    assertEquals((floats * 4 + CHUNK_BYTES - 1) / CHUNK_BYTES, chunks.size(), "chunks filled up");
    ProtobufSerializer wire = new ProtobufSerializer(CHUNK_BYTES + 1024);
    List<WeightsUpdate> received = new ArrayList<>();
    for (WeightsUpdate c : chunks) {
      int data = c.getTensorsList().stream().mapToInt(t -> t.getData().size()).sum();
      assertTrue(data <= CHUNK_BYTES, "a chunk holds " + data + " bytes");
      received.add((WeightsUpdate) wire.fromBinary(wire.toBinary(c), wire.manifest(c)));
    }
    Collections.shuffle(received, new Random(3));
    WeightAssembly assembly = new WeightAssembly(sent.layout());
    Optional<ParameterStore> got = Optional.empty();
    for (int i = 0; i < received.size(); i++) {
      got = assembly.accept(received.get(i));
      assertEquals(i == received.size() - 1, got.isPresent(), "handed out after chunk " + i);
    }
    assertEquals(sent.sha256(), got.orElseThrow().sha256());
    assertTrue(assembly.assembling().isEmpty());
    assertTrue(assembly.accept(received.get(0)).isEmpty(), "a repeat of a delivered version");
  }

  @Test
  void aStoreThatViewsPartOfALargerOneIsSentFromItsOwnFirstElement() {
    ParameterStore whole = params(2);
    ParameterStore sent = whole.suffix(whole.layout().specs().get(1).name()); // starts inside
    WeightAssembly assembly = new WeightAssembly(sent.layout());
    Optional<ParameterStore> got = Optional.empty();
    for (WeightsUpdate c : WeightChunks.of(sent, 3, CHUNK_BYTES)) {
      got = assembly.accept(c);
    }
    // a copy starts its own buffer: its checksum does not depend on reading a view right
    assertEquals(sent.copy().sha256(), got.orElseThrow().sha256());
  }

  @Test
  void aStoreThatViewsTheBeginningOfALargerOneSendsNothingPastItsOwnEnd() {
    ParameterStore whole = params(4);
    ParameterLayout.Builder first = ParameterLayout.builder();
    for (var spec : whole.layout().specs().subList(0, 2)) {
      first.add(spec.name(), spec.shape());
    }
    ParameterStore sent = whole.prefix(first.build()); // ends inside the larger buffer
    assertTrue(sent.flat().length() < whole.flat().length());
    List<WeightsUpdate> chunks = WeightChunks.of(sent, 5, CHUNK_BYTES);
    long bytes = chunks.stream().flatMap(c -> c.getTensorsList().stream())
        .mapToLong(t -> t.getData().size()).sum();
    assertEquals(sent.flat().length() * Float.BYTES, bytes);
    WeightAssembly assembly = new WeightAssembly(sent.layout());
    Optional<ParameterStore> got = Optional.empty();
    for (WeightsUpdate c : chunks) {
      got = assembly.accept(c);
    }
    assertEquals(sent.copy().sha256(), got.orElseThrow().sha256());
    assertEquals(sent.copy().sha256(), sent.sha256(), "the view's own checksum stops at its end");
  }

  @Test
  void chunksAreCutOnDemandAndTheLastCarriesTheVersionsSha() {
    ParameterStore sent = params(8);
    WeightChunks chunks = new WeightChunks(sent, 3, CHUNK_BYTES);
    List<WeightsUpdate> all = WeightChunks.of(sent, 3, CHUNK_BYTES);
    assertEquals(all.size(), chunks.count());
    // the first chunk can go before the rest is cut: it cannot know the whole version's hash
    assertEquals(all.get(0), chunks.get(0));
    for (int i = 0; i < all.size() - 1; i++) {
      assertTrue(all.get(i).getSha256().isEmpty(), "chunk " + i + " names a hash");
    }
    assertEquals(sent.sha256(), all.get(all.size() - 1).getSha256());
    assertEquals(all.get(all.size() - 1), chunks.get(chunks.count() - 1));
  }

  @Test
  void forgottenChunksAreRefusedAndTheOthersAreUnchanged() {
    ParameterStore sent = params(9);
    List<WeightsUpdate> all = WeightChunks.of(sent, 2, CHUNK_BYTES);
    WeightChunks chunks = new WeightChunks(sent, 2, CHUNK_BYTES);
    chunks.get(4);
    chunks.forgetBefore(3);
    assertEquals(3, chunks.firstKept());
    assertThrows(IllegalStateException.class, () -> chunks.get(2));
    assertEquals(all.get(3), chunks.get(3));
    chunks.forgetBefore(all.size()); // only what was cut: chunk 5 on are still to come
    assertEquals(5, chunks.firstKept());
    for (int i = 5; i < all.size(); i++) {
      assertEquals(all.get(i), chunks.get(i), "chunk " + i);
    }
    WeightChunks again = chunks.cutAgain();
    assertEquals(0, again.firstKept());
    for (int i = 0; i < all.size(); i++) {
      assertEquals(all.get(i), again.get(i), "chunk " + i + " cut again");
    }
  }

  @Test
  void aStoreHandedBackHoldsTheNextVersion() {
    ParameterStore v1 = params(1);
    ParameterStore v2 = params(2);
    WeightAssembly assembly = new WeightAssembly(v1.layout());
    ParameterStore first = deliver(assembly, v1, 1);
    assembly.recycle(first);
    ParameterStore second = deliver(assembly, v2, 2);
    assertSame(first, second, "written into the store handed back");
    assertEquals(v2.sha256(), second.sha256());
    ParameterStore third = deliver(assembly, params(3), 3);
    assertNotSame(second, third, "a store not handed back again is not written again");
    assertEquals(v2.sha256(), second.sha256());
    ParameterStore alien = ParameterStore.zeros(ParameterLayout.builder().add("w", 3).build(),
        DataType.FLOAT);
    assertThrows(IllegalArgumentException.class, () -> assembly.recycle(alien));
  }

  private static ParameterStore deliver(WeightAssembly assembly, ParameterStore params,
      long version) {
    Optional<ParameterStore> got = Optional.empty();
    for (WeightsUpdate c : WeightChunks.of(params, version, CHUNK_BYTES)) {
      got = assembly.accept(c);
    }
    return got.orElseThrow();
  }

  @Test
  void aFlippedByteDropsTheVersionAndTheNextOneStillArrives() {
    ParameterStore v1 = params(1);
    List<WeightsUpdate> chunks = WeightChunks.of(v1, 1, CHUNK_BYTES);
    WeightsUpdate bad = chunks.get(2).toBuilder().setTensors(0, chunks.get(2).getTensors(0)
        .toBuilder().setData(flipped(chunks.get(2).getTensors(0).getData()))).build();
    WeightAssembly assembly = new WeightAssembly(v1.layout());
    assembly.accept(chunks.get(0));
    CorruptWeightsException e = assertThrows(CorruptWeightsException.class,
        () -> assembly.accept(bad));
    assertTrue(e.getMessage().contains("version 1, chunk 2 of ") && e.getMessage().contains(
        "fails its CRC32C"), e.getMessage());
    assertTrue(assembly.assembling().isEmpty(), "the corrupt version is dropped");
    ParameterStore v2 = params(2);
    Optional<ParameterStore> got = Optional.empty();
    for (WeightsUpdate c : WeightChunks.of(v2, 2, CHUNK_BYTES)) {
      got = assembly.accept(c);
    }
    assertEquals(v2.sha256(), got.orElseThrow().sha256());
  }

  @Test
  void aNewerVersionReplacesOneHalfReceivedAndTheOlderIsNeverHandedOut() {
    ParameterStore v3 = params(3);
    ParameterStore v4 = params(4);
    List<WeightsUpdate> old = WeightChunks.of(v3, 3, CHUNK_BYTES);
    WeightAssembly assembly = new WeightAssembly(v3.layout());
    for (int i = 0; i < old.size() / 2; i++) {
      assertTrue(assembly.accept(old.get(i)).isEmpty());
    }
    Optional<ParameterStore> got = Optional.empty();
    List<WeightsUpdate> newer = WeightChunks.of(v4, 4, CHUNK_BYTES);
    for (int i = 0; i < newer.size(); i++) {
      got = assembly.accept(newer.get(i));
      if (i < old.size()) {
        assertTrue(assembly.accept(old.get(i)).isEmpty(), "an older chunk is ignored");
      }
    }
    assertEquals(v4.sha256(), got.orElseThrow().sha256());
    for (WeightsUpdate c : old) {
      assertTrue(assembly.accept(c).isEmpty(), "the older version never completes");
    }
  }

  @Test
  void piecesThatPassTheirCrcButNotTheVersionsShaAreRefused() {
    // two pieces of the same size swapped, each with its own correct CRC: only the SHA-256 of
    // the assembled version can tell
    ParameterStore v = params(5);
    List<WeightsUpdate> chunks = new ArrayList<>(WeightChunks.of(v, 5, CHUNK_BYTES));
    int i = 0;
    while (chunks.get(i).getTensors(0).getData().size() != chunks.get(i + 1).getTensors(0)
        .getData().size()) {
      i++;
    }
    ByteString a = chunks.get(i).getTensors(0).getData();
    ByteString b = chunks.get(i + 1).getTensors(0).getData();
    chunks.set(i, withData(chunks.get(i), 0, b));
    chunks.set(i + 1, withData(chunks.get(i + 1), 0, a));
    WeightAssembly assembly = new WeightAssembly(v.layout());
    CorruptWeightsException e = assertThrows(CorruptWeightsException.class, () -> {
      for (WeightsUpdate c : chunks) {
        assembly.accept(c);
      }
    });
    assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
    assertTrue(assembly.assembling().isEmpty());
  }

  @Test
  void aPieceOutsideItsTensorOrOfAnotherModelIsRefusedByName() {
    ParameterStore v = params(6);
    WeightsUpdate first = WeightChunks.of(v, 1, CHUNK_BYTES).get(0);
    Tensor t = first.getTensors(0);
    WeightsUpdate beyond = first.toBuilder().setTensors(0, t.toBuilder()
        .setOffset(t.getShape(0) * t.getShape(1))).build();
    WeightsUpdate stranger = first.toBuilder().setTensors(0, t.toBuilder().setName("lm_head"))
        .build();
    assertTrue(assertThrows(CorruptWeightsException.class,
        () -> new WeightAssembly(v.layout()).accept(beyond)).getMessage()
        .contains("does not fit"));
    assertTrue(assertThrows(CorruptWeightsException.class,
        () -> new WeightAssembly(v.layout()).accept(stranger)).getMessage()
        .contains("lm_head is not a parameter"));
    assertThrows(CorruptWeightsException.class, () -> new WeightAssembly(v.layout())
        .accept(first.toBuilder().setChunk(first.getChunks()).build()));
  }

  @Test
  void mutatedChunksNeverHandOutWeightsOtherThanThoseSent() throws Exception {
    // every chunk but one arrives intact, the last one mutated on the wire: the assembly hands
    // out the version sent or nothing, and fails only by naming the broken check
    ParameterStore sent = params(7);
    List<WeightsUpdate> chunks = WeightChunks.of(sent, 9, CHUNK_BYTES);
    ProtobufSerializer wire = new ProtobufSerializer(1 << 20);
    Random rng = new Random(15);
    int handedOut = 0;
    int refused = 0;
    for (int trial = 0; trial < 2000; trial++) {
      int k = rng.nextInt(chunks.size());
      byte[] bytes = org.rlhf4j.actors.serialization.MutatedPayloads.mutate(
          wire.toBinary(chunks.get(k)), rng);
      WeightsUpdate arrived;
      try {
        arrived = (WeightsUpdate) wire.fromBinary(bytes, "WeightsUpdate");
      } catch (java.io.NotSerializableException e) {
        continue;
      }
      WeightAssembly assembly = new WeightAssembly(sent.layout());
      for (int i = 0; i < chunks.size(); i++) {
        if (i != k) {
          assembly.accept(chunks.get(i));
        }
      }
      try {
        Optional<ParameterStore> got = assembly.accept(arrived);
        if (got.isPresent()) {
          assertEquals(sent.sha256(), got.get().sha256(), "trial " + trial);
          handedOut++;
        }
      } catch (CorruptWeightsException e) {
        assertTrue(e.getMessage().startsWith("weights version "), e.getMessage());
        refused++;
      }
    }
    assertTrue(refused > 100, refused + " refused, " + handedOut + " whole");
  }

  private static WeightsUpdate withData(WeightsUpdate c, int tensor, ByteString data) {
    Tensor t = c.getTensors(tensor).toBuilder().setData(data)
        .setCrc32C(WeightChunks.crc32c(data)).build();
    WeightsUpdate.Builder b = c.toBuilder().setTensors(tensor, t);
    if (!data.equals(c.getTensors(tensor).getData()) && t.getCrc32C() == c.getTensors(tensor)
        .getCrc32C()) {
      throw new AssertionError("the new data has the old CRC");
    }
    return b.build();
  }

  /** {@code data} with its first byte flipped and the old CRC kept (a transport error). */
  private static ByteString flipped(ByteString data) {
    byte[] bytes = data.toByteArray();
    bytes[0] ^= 0x5a;
    return ByteString.copyFrom(bytes);
  }
}
