package io.sluice.node;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** A parsed Prometheus text exposition (format 0.0.4) and HTTP helpers for a node's endpoint. */
final class Scrape {
  record Sample(String name, Map<String, String> labels, double value) {}

  record Reply(int status, String contentType, String body) {}

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  final List<Sample> samples;

  private Scrape(List<Sample> samples) {
    this.samples = samples;
  }

  static Reply get(SluiceNode node, String path) {
    return get(node.httpAddress(), path);
  }

  static Reply get(HostPort address, String path) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + address + path))
          .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    } catch (IOException e) {
      throw new AssertionError("GET " + path + " from " + address + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted");
    }
  }

  static Scrape of(SluiceNode node) {
    Reply r = get(node, "/metrics");
    if (r.status() != 200) {
      throw new AssertionError("/metrics of " + node.id() + " answered " + r.status() + ": " + r.body());
    }
    return parse(r.body());
  }

  static Scrape parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String name;
      Map<String, String> labels = new LinkedHashMap<>();
      if (brace >= 0 && brace < space) {
        name = line.substring(0, brace);
        parseLabels(line.substring(brace + 1, line.lastIndexOf('}')), labels);
      } else {
        name = line.substring(0, space);
      }
      samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
    }
    return new Scrape(samples);
  }

  private static void parseLabels(String s, Map<String, String> out) {
    int i = 0;
    while (i < s.length()) {
      int eq = s.indexOf('=', i);
      String key = s.substring(i, eq).trim();
      StringBuilder value = new StringBuilder();
      int j = eq + 2; // skip ="
      while (s.charAt(j) != '"') {
        char c = s.charAt(j);
        if (c == '\\') {
          char n = s.charAt(++j);
          value.append(n == 'n' ? '\n' : n);
        } else {
          value.append(c);
        }
        j++;
      }
      out.put(key, value.toString());
      i = j + 1;
      if (i < s.length() && s.charAt(i) == ',') {
        i++;
      }
    }
  }

  /** Samples named {@code name} whose labels include every given {@code key, value} pair. */
  List<Sample> find(String name, String... labels) {
    return samples.stream().filter(s -> s.name().equals(name) && matches(s, labels)).toList();
  }

  private static boolean matches(Sample s, String... labels) {
    for (int i = 0; i < labels.length; i += 2) {
      if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
        return false;
      }
    }
    return true;
  }

  /** The sum of the matching samples; fails when there is none. */
  double value(String name, String... labels) {
    List<Sample> found = find(name, labels);
    if (found.isEmpty()) {
      throw new AssertionError("no sample " + name + " " + List.of(labels) + " among " + names().size() + " names");
    }
    return found.stream().mapToDouble(Sample::value).sum();
  }

  Set<String> names() {
    return samples.stream().map(Sample::name).collect(Collectors.toCollection(TreeSet::new));
  }
}
