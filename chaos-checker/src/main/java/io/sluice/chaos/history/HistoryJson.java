package io.sluice.chaos.history;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts events to and from one line of JSON. Field names are the stable format of
 * docs/history-format.md; absent (null) fields are left out. Thread-safe (stateless).
 */
public final class HistoryJson {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private HistoryJson() {}

  /** One event as one line of JSON (no newline). */
  public static String toLine(Event event) {
    ObjectNode json = NODES.objectNode();
    json.put("index", event.index());
    json.put("time_ns", event.timeNs());
    json.put("process", event.process());
    json.put("type", event.type().jsonName());
    json.put("f", event.f().jsonName());
    if (event.op() != Event.NO_OP) {
      json.put("op", event.op());
    }
    if (event.value() != null) {
      json.set("value", valueJson(event.value()));
    }
    if (event.error() != null) {
      json.put("error", event.error());
    }
    try {
      return MAPPER.writeValueAsString(json);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses one line; {@code lineNumber} is only used in error messages. */
  public static Event fromLine(String line, long lineNumber) {
    JsonNode json;
    try {
      json = MAPPER.readTree(line);
    } catch (JsonProcessingException e) {
      throw new HistoryFormatException(lineNumber, "not JSON: " + e.getOriginalMessage());
    }
    if (json == null || !json.isObject()) {
      throw new HistoryFormatException(lineNumber, "not a JSON object");
    }
    Fields in = new Fields(json, lineNumber, "");
    OpType type = OpType.fromJsonName(in.string("type"));
    if (type == null) {
      throw new HistoryFormatException(lineNumber, "type must be invoke, ok, fail or info, was " + json.get("type"));
    }
    OpFunction f = OpFunction.fromJsonName(in.string("f"));
    if (f == null) {
      throw new HistoryFormatException(lineNumber, "unknown f " + json.get("f"));
    }
    OpValue value = json.hasNonNull("value") ? parseValue(f, in.object("value")) : null;
    if (value == null && (type == OpType.INVOKE || type == OpType.OK)) {
      throw new HistoryFormatException(lineNumber, type.jsonName() + " event without a value");
    }
    Long op = in.optLong("op");
    return new Event(
        in.longValue("index"),
        in.longValue("time_ns"),
        in.string("process"),
        type,
        f,
        op == null ? Event.NO_OP : op,
        value,
        in.optString("error"));
  }

  /** The JSON of one value (also used by the verdict's examples). */
  public static ObjectNode valueJson(OpValue value) {
    ObjectNode json = NODES.objectNode();
    if (value instanceof OpValue.Send send) {
      sendJson(json, send);
    } else if (value instanceof OpValue.Atomic atomic) {
      ArrayNode sends = json.putArray("sends");
      for (OpValue.Send send : atomic.sends()) {
        sendJson(sends.addObject(), send);
      }
    } else if (value instanceof OpValue.Poll poll) {
      putOpt(json, "group", poll.group());
      if (poll.reads() != null) {
        readsJson(json.putArray("reads"), poll.reads());
      }
    } else if (value instanceof OpValue.Commit commit) {
      json.put("group", commit.group());
      putOpt(json, "generation", commit.generation());
      positionsJson(json.putArray("offsets"), commit.offsets());
    } else if (value instanceof OpValue.Assign assign) {
      putOpt(json, "group", assign.group());
      putOpt(json, "generation", assign.generation());
      positionsJson(json.putArray("positions"), assign.positions());
    } else if (value instanceof OpValue.Nemesis nemesis) {
      json.put("phase", nemesis.phase());
      json.put("id", nemesis.id());
      json.put("fault", nemesis.fault());
      json.put("description", nemesis.description());
      ArrayNode nodes = json.putArray("nodes");
      nemesis.nodes().forEach(nodes::add);
    } else if (value instanceof OpValue.FinalRead read) {
      json.put("node", read.node());
      json.put("topic", read.topic());
      json.put("partition", read.partition());
      putOpt(json, "start_offset", read.startOffset());
      putOpt(json, "end_offset", read.endOffset());
      if (read.reads() != null) {
        readsJson(json.putArray("reads"), read.reads());
      }
    }
    return json;
  }

  private static void sendJson(ObjectNode json, OpValue.Send send) {
    json.put("topic", send.topic());
    putOpt(json, "partition", send.partition());
    if (send.key() == null) {
      json.putNull("key");
    } else {
      json.put("key", send.key());
    }
    json.put("value", send.value());
    putOpt(json, "offset", send.offset());
  }

  private static void readsJson(ArrayNode array, List<OpValue.Read> reads) {
    for (OpValue.Read read : reads) {
      ObjectNode json = array.addObject();
      json.put("topic", read.topic());
      json.put("partition", read.partition());
      json.put("offset", read.offset());
      putOpt(json, "key", read.key());
      if (read.value() == null) {
        json.putNull("value");
      } else {
        json.put("value", read.value());
      }
    }
  }

  private static void positionsJson(ArrayNode array, List<OpValue.Position> positions) {
    for (OpValue.Position position : positions) {
      ObjectNode json = array.addObject();
      json.put("topic", position.topic());
      json.put("partition", position.partition());
      json.put("offset", position.offset());
    }
  }

  private static void putOpt(ObjectNode json, String name, Object value) {
    if (value instanceof String text) {
      json.put(name, text);
    } else if (value instanceof Integer number) {
      json.put(name, number);
    } else if (value instanceof Long number) {
      json.put(name, number);
    }
  }

  private static OpValue parseValue(OpFunction f, Fields in) {
    return switch (f) {
      case SEND -> parseSend(in);
      case ATOMIC -> {
        List<OpValue.Send> sends = new ArrayList<>();
        for (Fields send : in.objects("sends")) {
          sends.add(parseSend(send));
        }
        yield new OpValue.Atomic(sends);
      }
      case POLL -> new OpValue.Poll(in.optString("group"), in.has("reads") ? parseReads(in.objects("reads")) : null);
      case COMMIT -> new OpValue.Commit(in.string("group"), in.optInt("generation"), parsePositions(in.objects("offsets")));
      case ASSIGN -> new OpValue.Assign(in.optString("group"), in.optInt("generation"), parsePositions(in.objects("positions")));
      case NEMESIS -> {
        String phase = in.string("phase");
        if (!phase.equals(OpValue.Nemesis.START) && !phase.equals(OpValue.Nemesis.END)) {
          throw in.error("phase must be start or end, was " + phase);
        }
        List<String> nodes = new ArrayList<>();
        if (in.has("nodes")) {
          for (JsonNode node : in.array("nodes")) {
            nodes.add(node.asText());
          }
        }
        yield new OpValue.Nemesis(phase, in.string("id"), in.string("fault"), in.optString("description"), nodes);
      }
      case FINAL_READ -> new OpValue.FinalRead(
          in.string("node"),
          in.string("topic"),
          in.intValue("partition"),
          in.optLong("start_offset"),
          in.optLong("end_offset"),
          in.has("reads") ? parseReads(in.objects("reads")) : null);
    };
  }

  private static OpValue.Send parseSend(Fields in) {
    return new OpValue.Send(
        in.string("topic"), in.optInt("partition"), in.optString("key"), in.string("value"), in.optLong("offset"));
  }

  private static List<OpValue.Read> parseReads(List<Fields> reads) {
    List<OpValue.Read> result = new ArrayList<>(reads.size());
    for (Fields read : reads) {
      result.add(new OpValue.Read(
          read.string("topic"), read.intValue("partition"), read.longValue("offset"),
          read.optString("key"), read.optString("value")));
    }
    return result;
  }

  private static List<OpValue.Position> parsePositions(List<Fields> positions) {
    List<OpValue.Position> result = new ArrayList<>(positions.size());
    for (Fields position : positions) {
      result.add(new OpValue.Position(position.string("topic"), position.intValue("partition"), position.longValue("offset")));
    }
    return result;
  }

  /** Typed access to one JSON object's fields, with errors that name the line and the field path. */
  private record Fields(JsonNode json, long lineNumber, String path) {

    HistoryFormatException error(String message) {
      return new HistoryFormatException(lineNumber, message);
    }

    boolean has(String name) {
      return json.hasNonNull(name);
    }

    private JsonNode required(String name) {
      JsonNode value = json.get(name);
      if (value == null || value.isNull()) {
        throw error("missing field " + path + name);
      }
      return value;
    }

    String string(String name) {
      JsonNode value = required(name);
      if (!value.isTextual()) {
        throw error("field " + path + name + " must be a string, was " + value);
      }
      return value.textValue();
    }

    String optString(String name) {
      return has(name) ? string(name) : null;
    }

    long longValue(String name) {
      JsonNode value = required(name);
      if (!value.isIntegralNumber() || !value.canConvertToLong()) {
        throw error("field " + path + name + " must be an integer, was " + value);
      }
      return value.longValue();
    }

    Long optLong(String name) {
      return has(name) ? longValue(name) : null;
    }

    int intValue(String name) {
      JsonNode value = required(name);
      if (!value.isIntegralNumber() || !value.canConvertToInt()) {
        throw error("field " + path + name + " must be a 32-bit integer, was " + value);
      }
      return value.intValue();
    }

    Integer optInt(String name) {
      return has(name) ? intValue(name) : null;
    }

    Fields object(String name) {
      JsonNode value = required(name);
      if (!value.isObject()) {
        throw error("field " + path + name + " must be an object");
      }
      return new Fields(value, lineNumber, path + name + ".");
    }

    JsonNode array(String name) {
      JsonNode value = required(name);
      if (!value.isArray()) {
        throw error("field " + path + name + " must be an array");
      }
      return value;
    }

    List<Fields> objects(String name) {
      JsonNode array = array(name);
      List<Fields> result = new ArrayList<>(array.size());
      for (int i = 0; i < array.size(); i++) {
        JsonNode element = array.get(i);
        if (!element.isObject()) {
          throw error("field " + path + name + "[" + i + "] must be an object");
        }
        result.add(new Fields(element, lineNumber, path + name + "[" + i + "]."));
      }
      return result;
    }
  }
}
