package io.sluice.node;

/** A host:port pair, parsed with a message that names the setting it came from. */
public record HostPort(String host, int port) {

  public static HostPort parse(String text, String what) {
    String s = text == null ? "" : text.trim();
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      throw new IllegalArgumentException(what + ": '" + s + "' is not host:port");
    }
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + ": port in '" + s + "' is not a number");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(what + ": port " + port + " is outside 0..65535");
    }
    return new HostPort(s.substring(0, colon), port);
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
