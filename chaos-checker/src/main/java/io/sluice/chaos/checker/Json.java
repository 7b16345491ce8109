package io.sluice.chaos.checker;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collection;

/** Small helpers to build the verdict's JSON details. Stateless. */
final class Json {

  private Json() {}

  static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  static ObjectNode position(Facts.Position position) {
    ObjectNode json = object();
    json.put("topic", position.tp().topic());
    json.put("partition", position.tp().partition());
    json.put("offset", position.offset());
    return json;
  }

  static ObjectNode observation(Facts.Observation observation) {
    ObjectNode json = position(observation.position());
    json.put("value", observation.value());
    json.put("source", observation.source().jsonName());
    json.put(observation.source() == Facts.Source.FINAL ? "node" : "process", observation.where());
    json.put("op", observation.opId());
    return json;
  }

  static ArrayNode strings(Collection<String> values) {
    ArrayNode array = JsonNodeFactory.instance.arrayNode();
    values.forEach(array::add);
    return array;
  }
}
