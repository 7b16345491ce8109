package io.sluice.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AddressesTest {

  @Test
  void parsesAListTrimmingBlanksAndDuplicates() {
    assertEquals(List.of("127.0.0.1:7070", "host-b:7071", "[::1]:7072"),
        Addresses.parseList(" 127.0.0.1:7070, host-b:7071,,[::1]:7072,127.0.0.1:7070 "));
    assertEquals(new Addresses.HostPort("::1", 7072), Addresses.split("[::1]:7072"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " , ", "host", "host:", ":7070", "host:abc", "host:0", "host:65536", "::1:7070",
      "a b:7070", "ok:1,bad"})
  void rejectsMalformedInputWithAClearMessage(String input) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Addresses.parseList(input));
    assertEquals(true, e.getMessage().length() > 10, e.getMessage());
  }

  @Test
  void rejectsNullAndEmptyLists() {
    assertThrows(IllegalArgumentException.class, () -> Addresses.parseList(null));
    assertThrows(IllegalArgumentException.class, () -> Addresses.parseAll(List.of()));
  }
}
