package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BootstrapAddressesTest {

  @Test
  void parsesACommaSeparatedListTrimmingSpaces() {
    assertEquals(
        List.of("127.0.0.1:7070", "node-2.local:7071", "[::1]:7072"),
        BootstrapAddresses.parse("127.0.0.1:7070, node-2.local:7071,[::1]:7072").addresses());
  }

  @Test
  void rejectsAnUnbracketedIpv6Address() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BootstrapAddresses.parse("::1:7070"));
    assertTrue(e.getMessage().contains("brackets"), e.getMessage());
  }

  @Test
  void rejectsANonNumericPort() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BootstrapAddresses.parse("host:http"));
    assertTrue(e.getMessage().contains("not a number"), e.getMessage());
  }

  @Test
  void rejectsPortZero() {
    assertThrows(IllegalArgumentException.class, () -> BootstrapAddresses.parse("host:0"));
  }

  @Test
  void rejectsAMissingHost() {
    assertThrows(IllegalArgumentException.class, () -> BootstrapAddresses.parse(":7070"));
  }
}
