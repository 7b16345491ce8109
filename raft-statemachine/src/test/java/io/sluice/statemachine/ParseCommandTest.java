package io.sluice.statemachine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.internal.v1.Append;
import io.sluice.internal.v1.AppendBatch;
import io.sluice.internal.v1.Command;
import java.util.Arrays;
import java.util.Random;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.junit.jupiter.api.Test;

/** The state machine's no-copy command parse reads exactly what a plain parse reads, whatever the ByteString's shape. */
class ParseCommandTest {

  @Test
  void parsesLikeAPlainParseFromOneArrayASliceAndARope() throws Exception {
    long seed = 42;
    Random random = new Random(seed);
    byte[] records = new byte[70_000];
    random.nextBytes(records);
    Command command = Command.newBuilder().setTimestampMs(123).setAppend(Append.newBuilder()
        .addBatches(AppendBatch.newBuilder().setTopic("t").setPartition(2)
            .setRecords(com.google.protobuf.ByteString.copyFrom(records)))
        .addBatches(AppendBatch.newBuilder().setTopic("u").setPartition(0)
            .setRecords(com.google.protobuf.ByteString.copyFrom(records, 5, 1000)))).build();
    byte[] bytes = command.toByteArray();

    assertEquals(command, SluiceStateMachine.parseCommand(UnsafeByteOperations.unsafeWrap(bytes)));
    byte[] padded = new byte[bytes.length + 20];
    System.arraycopy(bytes, 0, padded, 10, bytes.length);
    assertEquals(command, SluiceStateMachine.parseCommand(UnsafeByteOperations.unsafeWrap(padded, 10, bytes.length)));
    ByteString rope = ByteString.copyFrom(bytes, 0, 100).concat(ByteString.copyFrom(bytes, 100, bytes.length - 100));
    assertEquals(command, SluiceStateMachine.parseCommand(rope));
    assertEquals(Command.getDefaultInstance(), SluiceStateMachine.parseCommand(ByteString.EMPTY));
  }

  @Test
  void aTruncatedCommandIsRefused() {
    byte[] bytes = Command.newBuilder().setTimestampMs(1).setAppend(Append.newBuilder().addBatches(
        AppendBatch.newBuilder().setTopic("t").setRecords(com.google.protobuf.ByteString.copyFrom(new byte[100]))))
        .build().toByteArray();
    assertThrows(InvalidProtocolBufferException.class, () -> SluiceStateMachine.parseCommand(
        UnsafeByteOperations.unsafeWrap(Arrays.copyOf(bytes, bytes.length - 10))));
  }
}
