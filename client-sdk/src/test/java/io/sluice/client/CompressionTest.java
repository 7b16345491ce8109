package io.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.protocol.CompressionType;
import io.sluice.protocol.RecordBatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link ProducerConfig#compression()}: batches go out compressed and consumers read them transparently. */
class CompressionTest {
  private static final TopicPartition P0 = new TopicPartition("orders", 0);

  private FakeCluster cluster;
  private SluiceClient client;

  @BeforeEach
  void setUp() throws Exception {
    cluster = new FakeCluster(1);
    cluster.createTopic("orders", 1);
  }

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    cluster.close();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private List<ConsumerRecord> consumeAll(int expected) {
    try (Consumer consumer = client.newConsumer(ConsumerConfig.builder().fetchMaxWait(Duration.ofMillis(20)).build())) {
      consumer.assign(List.of(P0));
      List<ConsumerRecord> out = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (out.size() < expected && System.nanoTime() < deadline) {
        out.addAll(consumer.poll(Duration.ofMillis(200)));
      }
      return out;
    }
  }

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void recordsRoundTripThroughProducerAndConsumer(CompressionType type) throws Exception {
    assertEquals(CompressionType.NONE, ProducerConfig.defaults().compression());
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().compression(type).linger(Duration.ofMillis(50))
        .build());
    List<CompletableFuture<RecordMetadata>> sends = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      sends.add(producer.send(ProducerRecord.builder("orders").partition(0).key(bytes("k" + (i % 7)))
          .value(bytes("{\"n\":" + i + ",\"text\":\"the same words again and again\"}"))
          .header("h", bytes("x" + i)).build()));
    }
    producer.flush();
    for (int i = 0; i < sends.size(); i++) {
      assertEquals(i, sends.get(i).get(20, TimeUnit.SECONDS).offset());
    }
    int sentBytes = 0;
    for (ProduceRequest r : cluster.node(1).produceRequests) {
      for (PartitionBatch b : r.getBatchesList()) {
        assertEquals(type, RecordBatch.compression(b.getRecords().asReadOnlyByteBuffer()), "codec of a sent batch");
        sentBytes += b.getRecords().size();
      }
    }
    System.out.println(type + ": 300 records sent as " + sentBytes + " batch bytes");
    List<ConsumerRecord> records = consumeAll(300);
    assertEquals(300, records.size());
    for (int i = 0; i < 300; i++) {
      ConsumerRecord r = records.get(i);
      assertEquals(i, r.offset());
      assertEquals("k" + (i % 7), new String(r.key(), StandardCharsets.UTF_8));
      assertEquals("{\"n\":" + i + ",\"text\":\"the same words again and again\"}",
          new String(r.value(), StandardCharsets.UTF_8));
      assertEquals("x" + i, new String(r.headers().get(0).value(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void atomicWritesAreCompressedToo() throws Exception {
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().compression(CompressionType.ZSTD).build());
    List<ProducerRecord> records = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      records.add(ProducerRecord.builder("orders").partition(0).value(bytes("atomic value number " + i)).build());
    }
    producer.sendAtomically(records).get(20, TimeUnit.SECONDS);
    PartitionBatch sent = cluster.node(1).produceRequests.get(0).getBatches(0);
    assertEquals(CompressionType.ZSTD, RecordBatch.compression(sent.getRecords().asReadOnlyByteBuffer()));
    assertEquals(50, consumeAll(50).size());
  }

  /** A stored batch with a valid CRC whose compressed records are garbage or inflate past the limit. */
  @ParameterizedTest
  @EnumSource(value = CompressionType.class, names = {"LZ4", "ZSTD"})
  void aCorruptOrOversizedCompressedBatchIsACorruptRecordException(CompressionType type) {
    RecordBatch.Builder b = RecordBatch.builder().compression(type);
    for (int i = 0; i < 40; i++) {
      b.add(1, null, bytes("compressible compressible " + i), List.of());
    }
    for (int stated : new int[] {RecordBatch.UNCOMPRESSED_BYTES_MAX + 1, -1}) {
      byte[] batch = b.build();
      ByteBuffer view = ByteBuffer.wrap(batch);
      if (stated > 0) {
        view.putInt(RecordBatch.HEADER_SIZE, stated); // claims to inflate past the limit
      } else {
        // Garbage in place of the compressed data.
        java.util.Arrays.fill(batch, RecordBatch.HEADER_SIZE + RecordBatch.UNCOMPRESSED_LENGTH_SIZE, batch.length,
            (byte) 0xFF);
      }
      CRC32C crc = new CRC32C();
      crc.update(batch, RecordBatch.ATTRIBUTES_OFFSET, batch.length - RecordBatch.ATTRIBUTES_OFFSET);
      view.putInt(RecordBatch.CRC_OFFSET, (int) crc.getValue());
      synchronized (cluster) {
        FakeCluster.PartitionLog log = cluster.topics.get("orders").get(0);
        log.batches.clear();
        log.batches.add(RecordBatch.withBaseOffset(batch, 0));
        log.nextOffset = 40;
      }
      if (client == null) {
        client = cluster.client().build();
      }
      try (Consumer consumer = client.newConsumer(ConsumerConfig.builder().fetchMaxWait(Duration.ofMillis(20)).build())) {
        consumer.assign(List.of(P0));
        CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> {
          for (int i = 0; i < 50; i++) {
            consumer.poll(Duration.ofMillis(200));
          }
        });
        assertTrue(e.getMessage().contains("orders-0"), e.getMessage());
      }
    }
  }
}
