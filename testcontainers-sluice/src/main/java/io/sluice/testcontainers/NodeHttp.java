package io.sluice.testcontainers;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a node's health endpoints over HTTP. Thread-safe. */
final class NodeHttp {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  private static final Pattern LEADER = Pattern.compile("\"leader\":\"([^\"]+)\"");

  private NodeHttp() {}

  /** Status code of GET url, or -1 when the node does not answer within 2 s. */
  static int status(String url) {
    return get(url).map(HttpResponse::statusCode).orElse(-1);
  }

  /** The leader named in a /health/ready body, if the node answered and knows one. */
  static Optional<String> leader(String baseUrl) {
    return get(baseUrl + "/health/ready").flatMap(r -> {
      Matcher m = LEADER.matcher(r.body());
      return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    });
  }

  private static Optional<HttpResponse<String>> get(String url) {
    try {
      HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).GET().build();
      return Optional.of(HTTP.send(req, HttpResponse.BodyHandlers.ofString()));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
