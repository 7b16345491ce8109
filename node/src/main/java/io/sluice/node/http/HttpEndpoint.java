package io.sluice.node.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sluice.node.HostPort;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small read-only HTTP server (the JDK's {@link HttpServer}) for operations: each route is an
 * exact path answered for GET and HEAD; anything else gets 404 or 405. Request bodies are never
 * read.
 *
 * <p>Bounded: {@link #THREADS} handler threads and a queue of {@link #QUEUE_MAX} exchanges; past
 * that, the accepting thread runs the handler itself, so further connections wait in the
 * listen backlog ({@link #BACKLOG}) instead of piling up in memory.
 *
 * <p>Thread-safe. Lifecycle: {@link #bind} (the port is taken at once, so a clash fails before
 * anything else starts), {@link #start}, {@link #close}; each once.
 */
public final class HttpEndpoint implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpEndpoint.class);
  static final int THREADS = 2;
  static final int QUEUE_MAX = 16;
  static final int BACKLOG = 32;

  /** What a route answers. */
  public record Response(int status, String contentType, byte[] body) {
    public static Response text(int status, String contentType, String body) {
      return new Response(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    public static Response json(int status, String json) {
      return text(status, "application/json; charset=utf-8", json + "\n");
    }
  }

  private final HttpServer server;
  private final ThreadPoolExecutor executor;
  private final Map<String, Supplier<Response>> routes;

  private HttpEndpoint(HttpServer server, ThreadPoolExecutor executor, Map<String, Supplier<Response>> routes) {
    this.server = server;
    this.executor = executor;
    this.routes = routes;
  }

  /**
   * Binds {@code address} (port 0: any free port) with the given routes (path to handler).
   *
   * @param threadName prefix of the handler threads' names
   * @throws IOException when the address cannot be bound, with a message naming it
   */
  public static HttpEndpoint bind(HostPort address, Map<String, Supplier<Response>> routes, String threadName)
      throws IOException {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(address.host(), address.port()), BACKLOG);
    } catch (IOException e) {
      throw new IOException("cannot serve HTTP on " + address + " (http.listen): " + e.getMessage(), e);
    }
    ThreadPoolExecutor executor = new ThreadPoolExecutor(THREADS, THREADS, 60, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(QUEUE_MAX), r -> {
          Thread t = new Thread(r, threadName);
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.CallerRunsPolicy());
    HttpEndpoint endpoint = new HttpEndpoint(server, executor, Map.copyOf(new LinkedHashMap<>(routes)));
    server.createContext("/", endpoint::handle);
    server.setExecutor(executor);
    return endpoint;
  }

  public void start() {
    server.start();
  }

  /** The bound address (the actual port when configured as 0). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      Supplier<Response> route = routes.get(exchange.getRequestURI().getPath());
      Response response;
      if (route == null) {
        response = Response.text(404, "text/plain; charset=utf-8", "not found; try " + routes.keySet() + "\n");
      } else if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        response = Response.text(405, "text/plain; charset=utf-8", "only GET and HEAD\n");
      } else {
        response = answer(route);
      }
      send(exchange, response, method.equals("HEAD"));
    }
  }

  private static Response answer(Supplier<Response> route) {
    try {
      return route.get();
    } catch (RuntimeException e) {
      LOG.warn("HTTP handler failed: {}", e.toString());
      return Response.text(500, "text/plain; charset=utf-8", "internal error: " + e + "\n");
    }
  }

  private static void send(HttpExchange exchange, Response response, boolean headOnly) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", response.contentType());
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    if (headOnly) {
      exchange.sendResponseHeaders(response.status(), -1);
      return;
    }
    exchange.sendResponseHeaders(response.status(), response.body().length == 0 ? -1 : response.body().length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(response.body());
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
