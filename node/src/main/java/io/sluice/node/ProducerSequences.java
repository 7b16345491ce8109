package io.sluice.node;

import io.sluice.internal.v1.Append;
import io.sluice.internal.v1.AppendBatch;
import io.sluice.protocol.RecordBatch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The leader's view of idempotent producers' sequences on their way to the log, so that it can
 * propose one producer's concurrent requests in sequence order (see {@link GroupCommit}).
 *
 * <p>For each (producer id, epoch, topic, partition) with requests admitted and not yet settled
 * it knows the sequence the log will expect after them. A request whose batch starts past that
 * sequence is early: an earlier batch of the same producer is still on its way (another gRPC
 * handler, or still in the transport), and proposing it now would only get it refused
 * OUT_OF_ORDER_SEQUENCE. Without an admitted request for a key, the applied state answers
 * (everything this leader proposed for the key is applied by then, and a new leader serves
 * writes only once it has applied its predecessors' entries).
 *
 * <p>This is only an ordering aid, never the judge: the state machine still checks every sequence
 * at apply. When an admitted request is not written (refused, failed, or its outcome unknown),
 * later sequences of its key can no longer be predicted, so the key stops holding anything back
 * until its admitted requests have settled; the client then re-sends in order, as with Kafka.
 *
 * <p>Not thread-safe: {@link GroupCommit} uses it under its lock. It keeps one entry per key
 * with requests admitted and unsettled, so its size is bounded by the requests in flight.
 */
final class ProducerSequences {

  /** One producer's sequences on one partition, at one epoch. */
  record Key(long producerId, short epoch, String topic, int partition) {}

  /** The sequences {@code first..last} (inclusive) of one batch of a request. */
  record Range(Key key, int first, int last) {}

  /** The applied state: the sequence the log expects next for a key, if known. */
  interface Applied {
    OptionalInt nextSequence(Key key);
  }

  private static final class Track {
    /** The sequence expected after the admitted requests. */
    int next;
    /** Admitted requests not yet settled. */
    int unsettled;
    /** An admitted request was not written: the sequence expected next is no longer known. */
    boolean broken;
  }

  private final Map<Key, Track> tracks = new HashMap<>();
  private final Applied applied;

  ProducerSequences(Applied applied) {
    this.applied = applied;
  }

  /**
   * The idempotent batches of {@code append} (those with a producer id), from their headers. A
   * batch too short to have a header is left to the validator.
   */
  static List<Range> of(Append append) {
    List<Range> ranges = null;
    for (AppendBatch b : append.getBatchesList()) {
      if (b.getRecords().size() < RecordBatch.HEADER_SIZE) {
        continue;
      }
      ByteBuffer header = b.getRecords().substring(0, RecordBatch.HEADER_SIZE).asReadOnlyByteBuffer();
      long producerId = header.getLong(RecordBatch.PRODUCER_ID_OFFSET);
      if (producerId < 0) {
        continue;
      }
      int first = header.getInt(RecordBatch.BASE_SEQUENCE_OFFSET);
      int last = first + header.getInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET);
      if (ranges == null) {
        ranges = new ArrayList<>(append.getBatchesCount());
      }
      ranges.add(new Range(new Key(producerId, header.getShort(RecordBatch.PRODUCER_EPOCH_OFFSET), b.getTopic(),
          b.getPartition()), first, last));
    }
    return ranges == null ? List.of() : ranges;
  }

  /**
   * Whether a request with these batches may be proposed now: none of them starts past the
   * sequence the log will expect when the requests admitted before it are applied.
   */
  boolean ready(List<Range> ranges) {
    for (Range r : ranges) {
      Track t = tracks.get(r.key());
      if (t != null) {
        if (!t.broken && r.first() > t.next) {
          return false;
        }
      } else {
        OptionalInt next = applied.nextSequence(r.key());
        if (next.isPresent() && r.first() > next.getAsInt()) {
          return false;
        }
      }
    }
    return true;
  }

  /** A request with these batches is admitted: it will be proposed after those admitted before. */
  void admitted(List<Range> ranges) {
    for (Range r : ranges) {
      Track t = tracks.get(r.key());
      if (t == null) {
        t = new Track();
        t.next = r.last() + 1;
        tracks.put(r.key(), t);
      } else {
        // A retry of an earlier batch (first below next) does not move the expectation back.
        t.next = Math.max(t.next, r.last() + 1);
      }
      t.unsettled++;
    }
  }

  /** An admitted request is answered: {@code written} (or recognised as a duplicate), or not. */
  void settled(List<Range> ranges, boolean written) {
    for (Range r : ranges) {
      Track t = tracks.get(r.key());
      if (t == null) {
        throw new IllegalStateException("settled a request of " + r.key() + " that was never admitted");
      }
      if (!written) {
        t.broken = true;
      }
      if (--t.unsettled == 0) {
        tracks.remove(r.key());
      }
    }
  }

  /** Keys with requests admitted and unsettled (for tests). */
  int size() {
    return tracks.size();
  }
}
