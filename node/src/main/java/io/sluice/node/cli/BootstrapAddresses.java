package io.sluice.node.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A validated {@code host:port[,host:port…]} list. IPv6 hosts are written in brackets, {@code
 * [::1]:7070}.
 *
 * @param addresses the addresses in the order given, each {@code host:port}
 */
record BootstrapAddresses(List<String> addresses) {

  BootstrapAddresses {
    addresses = List.copyOf(addresses);
  }

  /**
   * Parses a comma-separated address list.
   *
   * @throws IllegalArgumentException naming the first bad address and why it is bad
   */
  static BootstrapAddresses parse(String text) {
    List<String> addresses = new ArrayList<>();
    for (String part : text.split(",", -1)) {
      String address = part.trim();
      checkAddress(address);
      addresses.add(address);
    }
    return new BootstrapAddresses(addresses);
  }

  private static void checkAddress(String address) {
    if (address.isEmpty()) {
      throw new IllegalArgumentException("empty address in the list; expected host:port");
    }
    int colon = address.lastIndexOf(':');
    if (colon <= 0 || colon == address.length() - 1) {
      throw new IllegalArgumentException("'" + address + "' is not host:port");
    }
    String host = address.substring(0, colon);
    if (host.contains(":") && !(host.startsWith("[") && host.endsWith("]"))) {
      throw new IllegalArgumentException(
          "'" + address + "' is not host:port (write IPv6 hosts in brackets: [::1]:7070)");
    }
    String port = address.substring(colon + 1);
    int value;
    try {
      value = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + address + "' has a port that is not a number");
    }
    if (value < 1 || value > 65535) {
      throw new IllegalArgumentException(
          "'" + address + "' has port " + value + ", outside 1-65535");
    }
  }

  @Override
  public String toString() {
    return String.join(",", addresses);
  }

  /** Picocli converter: a bad list is a usage error (exit 2). */
  static final class Converter implements ITypeConverter<BootstrapAddresses> {
    @Override
    public BootstrapAddresses convert(String value) {
      try {
        return parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
