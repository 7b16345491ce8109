package io.sluice.client.internal;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Parses and checks host:port addresses. Static methods only; thread-safe. */
public final class Addresses {
  private Addresses() {}

  /** A parsed address. {@code host} has no IPv6 brackets. */
  public record HostPort(String host, int port) {}

  /**
   * Parses a comma-separated list of host:port addresses. Blank entries between commas are
   * ignored; duplicates are dropped; order is kept.
   *
   * @throws IllegalArgumentException naming the bad entry, or when the list is empty
   */
  public static List<String> parseList(String csv) {
    if (csv == null) {
      throw new IllegalArgumentException("bootstrap address list is null");
    }
    List<String> entries = new ArrayList<>();
    for (String part : csv.split(",", -1)) {
      if (!part.isBlank()) {
        entries.add(part);
      }
    }
    return parseAll(entries);
  }

  /** Checks every entry of a list; see {@link #parseList(String)}. */
  public static List<String> parseAll(List<String> addresses) {
    if (addresses == null || addresses.isEmpty()) {
      throw new IllegalArgumentException("bootstrap needs at least one host:port address");
    }
    Set<String> out = new LinkedHashSet<>();
    for (String a : addresses) {
      out.add(check(a));
    }
    return List.copyOf(out);
  }

  /** Returns the trimmed address after checking it. @throws IllegalArgumentException if malformed */
  public static String check(String address) {
    if (address == null) {
      throw new IllegalArgumentException("address is null");
    }
    String trimmed = address.trim();
    split(trimmed);
    return trimmed;
  }

  /** Splits host:port ({@code [v6]:port} for IPv6). @throws IllegalArgumentException if malformed */
  public static HostPort split(String address) {
    int colon = address.lastIndexOf(':');
    if (colon <= 0 || colon == address.length() - 1) {
      throw new IllegalArgumentException("address '" + address + "' is not host:port");
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw new IllegalArgumentException("address '" + address + "': write an IPv6 host in brackets, [::1]:7070");
    }
    if (host.isEmpty() || host.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException("address '" + address + "' has an empty or blank-containing host");
    }
    int port;
    try {
      port = Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("address '" + address + "' has a non-numeric port", e);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("address '" + address + "' has port " + port + " outside 1..65535");
    }
    return new HostPort(host, port);
  }
}
