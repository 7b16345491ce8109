package io.sluice.protocol;

import java.util.regex.Pattern;

/** Topic-name rules, shared by the SDK (early feedback) and the server (authoritative). */
public final class TopicNames {
  /** Longest allowed topic name, in characters (as in Kafka). */
  public static final int LENGTH_MAX = 249;
  private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]+");

  private TopicNames() {}

  /** Returns null when {@code name} is a legal topic name, otherwise what is wrong with it. */
  public static String problem(String name) {
    if (name == null || name.isEmpty()) {
      return "topic name is empty";
    }
    if (name.length() > LENGTH_MAX) {
      return "topic name is " + name.length() + " characters, over the maximum of " + LENGTH_MAX;
    }
    if (name.equals(".") || name.equals("..")) {
      return "topic name cannot be '.' or '..'";
    }
    if (!LEGAL.matcher(name).matches()) {
      return "topic name '" + name + "' has characters outside [a-zA-Z0-9._-]";
    }
    return null;
  }
}
