package io.sluice.node.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.node.HostPort;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Routing and failure behaviour of the operations HTTP endpoint. */
class HttpEndpointTest {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private HttpEndpoint endpoint;

  private HttpEndpoint start(Map<String, Supplier<HttpEndpoint.Response>> routes) throws IOException {
    endpoint = HttpEndpoint.bind(new HostPort("127.0.0.1", 0), routes, "test-http");
    endpoint.start();
    return endpoint;
  }

  @AfterEach
  void stop() {
    if (endpoint != null) {
      endpoint.close();
    }
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + endpoint.address().getPort() + path);
    return http.send(HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody())
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void routesAnswerGetAndHeadOnly() throws Exception {
    start(Map.of("/hello", () -> HttpEndpoint.Response.json(200, "{\"hi\":1}")));
    HttpResponse<String> get = send("GET", "/hello");
    assertEquals(200, get.statusCode());
    assertEquals("{\"hi\":1}\n", get.body());
    assertEquals("application/json; charset=utf-8", get.headers().firstValue("Content-Type").orElse(""));
    HttpResponse<String> head = send("HEAD", "/hello");
    assertEquals(200, head.statusCode());
    assertEquals("", head.body());
    HttpResponse<String> post = send("POST", "/hello");
    assertEquals(405, post.statusCode());
    assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(""));
    assertEquals(404, send("GET", "/hello/more").statusCode());
    assertEquals(404, send("GET", "/").statusCode());
  }

  @Test
  void aFailingHandlerAnswers500AndTheServerGoesOn() throws Exception {
    start(Map.of("/boom", () -> {
      throw new IllegalStateException("kaput");
    }, "/ok", () -> HttpEndpoint.Response.json(200, "{}")));
    HttpResponse<String> boom = send("GET", "/boom");
    assertEquals(500, boom.statusCode());
    assertTrue(boom.body().contains("kaput"), boom.body());
    assertEquals(200, send("GET", "/ok").statusCode());
  }

  @Test
  void aTakenPortFailsAtBindNamingTheSetting() throws Exception {
    start(Map.of());
    HostPort taken = new HostPort("127.0.0.1", endpoint.address().getPort());
    IOException e = assertThrows(IOException.class, () -> HttpEndpoint.bind(taken, Map.of(), "clash"));
    assertTrue(e.getMessage().contains("http.listen") && e.getMessage().contains(taken.toString()), e.getMessage());
  }

  @Test
  void jsonStringsAreEscaped() {
    assertEquals("\"a\\\"b\\\\c\\nd\\u0001\"", JsonText.quote("a\"b\\c\nd\u0001"));
    assertEquals("null", JsonText.quote(null));
  }
}
