package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.node.NodeConfig;
import io.sluice.node.PublicTestCluster;
import io.sluice.node.SluiceNode;
import io.sluice.protocol.CompressionType;
import io.sluice.protocol.RecordBatch;
import io.sluice.statemachine.LogCore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice produce --compression} against a real node: batches are stored compressed (the
 * leader accepted them after checking their records), {@code consume} prints the same lines, and
 * a compressed batch whose data is garbage is refused CORRUPT_BATCH while the node keeps serving.
 */
class CompressionCliTest {
  @TempDir
  Path tmp;

  private SluiceNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void producedCompressedStoredCompressedConsumedPlain() throws Exception {
    int clientPort = PublicTestCluster.freePort();
    int raftPort = PublicTestCluster.freePort();
    node = new SluiceNode(NodeConfig.of(PublicTestCluster.singleNodeConfig(tmp.resolve("n1"), clientPort, raftPort)))
        .start();
    String bootstrap = "127.0.0.1:" + clientPort;
    awaitOk("topic", "create", "logs", "--partitions", "1", "--bootstrap", bootstrap);

    StringBuilder input = new StringBuilder();
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      String line = "2026-11-21T06:00:00Z INFO request " + i + " served in 3 ms from cache";
      lines.add(line);
      input.append(line).append('\n');
    }
    byte[] stdin = input.toString().getBytes(StandardCharsets.UTF_8);
    for (String codec : List.of("lz4", "zstd")) {
      CliRun produced = CliRun.runWithInput(stdin, "produce", "--topic", "logs", "--compression", codec,
          "--linger-ms", "50", "--batch-bytes", "16384", "--bootstrap", bootstrap);
      assertEquals(SluiceCli.EXIT_OK, produced.exitCode(), produced.toString());
    }

    // Stored as sent: compressed batches, lz4 ones then zstd ones, far smaller than the text.
    List<CompressionType> codecs = new ArrayList<>();
    Map<CompressionType, Long> bytesByCodec = new java.util.EnumMap<>(CompressionType.class);
    long storedBytes = 0;
    long offset = 0;
    while (true) {
      LogCore.ReadResult r = node.core().read("logs", 0, offset, 1 << 20);
      if (r.batches().isEmpty()) {
        break;
      }
      for (byte[] b : r.batches()) {
        CompressionType t = RecordBatch.compression(ByteBuffer.wrap(b));
        if (codecs.isEmpty() || codecs.get(codecs.size() - 1) != t) {
          codecs.add(t);
        }
        storedBytes += b.length;
        bytesByCodec.merge(t, (long) b.length, Long::sum);
        offset = RecordBatch.lastOffset(ByteBuffer.wrap(b)) + 1;
      }
    }
    System.out.println("500 lines, " + stdin.length + " bytes of input per run; stored batch bytes: " + bytesByCodec);
    assertEquals(List.of(CompressionType.LZ4, CompressionType.ZSTD), codecs);
    assertEquals(1000, offset);
    assertTrue(storedBytes < 2L * stdin.length / 3, storedBytes + " bytes stored for 2 x " + stdin.length);

    CliRun consumed = CliRun.run("consume", "--topic", "logs", "--from-beginning", "--max-records", "1000",
        "--bootstrap", bootstrap);
    assertEquals(SluiceCli.EXIT_OK, consumed.exitCode(), consumed.err());
    List<String> expected = new ArrayList<>(lines);
    expected.addAll(lines);
    assertEquals(expected, consumed.out().lines().toList());

    // Garbage compressed data under a valid CRC: refused before the log, nothing written.
    RecordBatch.Builder b = RecordBatch.builder().compression(CompressionType.ZSTD);
    for (int i = 0; i < 20; i++) {
      b.add(1, null, "compress me, compress me".getBytes(StandardCharsets.UTF_8), List.of());
    }
    byte[] bad = b.build();
    java.util.Arrays.fill(bad, RecordBatch.HEADER_SIZE + RecordBatch.UNCOMPRESSED_LENGTH_SIZE, bad.length, (byte) 0x11);
    CRC32C crc = new CRC32C();
    crc.update(bad, RecordBatch.ATTRIBUTES_OFFSET, bad.length - RecordBatch.ATTRIBUTES_OFFSET);
    ByteBuffer.wrap(bad).putInt(RecordBatch.CRC_OFFSET, (int) crc.getValue());
    ManagedChannel channel = NettyChannelBuilder.forTarget(bootstrap).usePlaintext().build();
    try {
      StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
          () -> ProduceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
              .produce(ProduceRequest.newBuilder().addBatches(PartitionBatch.newBuilder().setTopic("logs")
                  .setPartition(0).setRecords(ByteString.copyFrom(bad))).build()));
      assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("zstd"), e.getStatus().getDescription());
    } finally {
      channel.shutdownNow();
    }
    CliRun after = CliRun.runWithInput("still serving\n".getBytes(StandardCharsets.UTF_8), "produce", "--topic",
        "logs", "--compression", "zstd", "--bootstrap", bootstrap);
    assertEquals(SluiceCli.EXIT_OK, after.exitCode(), after.toString());
  }

  private static void awaitOk(String... args) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    CliRun run = CliRun.run(args);
    while (run.exitCode() != SluiceCli.EXIT_OK && System.nanoTime() < deadline) {
      Thread.sleep(200);
      run = CliRun.run(args);
    }
    assertEquals(SluiceCli.EXIT_OK, run.exitCode(), run.toString());
  }
}
