package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutputFormatsTest {

  @Test
  void tableAlignsColumnsAndPrintsNullAsDash() {
    StringWriter text = new StringWriter();
    new Table("ID", "ROLE", "TERM")
        .row("n1", "LEADER", 3)
        .row("n10", null, 12)
        .print(new PrintWriter(text));
    assertEquals(
        List.of("ID   ROLE    TERM", "n1   LEADER  3", "n10  -       12"),
        text.toString().lines().toList());
  }

  @Test
  void tableRejectsARowOfTheWrongWidth() {
    assertThrows(IllegalArgumentException.class, () -> new Table("A", "B").row("only one"));
  }

  @Test
  void jsonEscapesAndNests() {
    Map<String, Object> object = new LinkedHashMap<>();
    object.put("name", "a\"b\\c\nd\u0001");
    object.put("count", 3L);
    object.put("ok", true);
    object.put("leader", null);
    object.put("list", Arrays.asList(1, "x"));
    object.put("empty", List.of());
    assertEquals(
        "{\n"
            + "  \"name\": \"a\\\"b\\\\c\\nd\\u0001\",\n"
            + "  \"count\": 3,\n"
            + "  \"ok\": true,\n"
            + "  \"leader\": null,\n"
            + "  \"list\": [\n"
            + "    1,\n"
            + "    \"x\"\n"
            + "  ],\n"
            + "  \"empty\": []\n"
            + "}",
        Json.write(object));
  }
}
