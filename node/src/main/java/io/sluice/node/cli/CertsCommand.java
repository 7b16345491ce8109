package io.sluice.node.cli;

import io.sluice.node.security.DevCertificates;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code sluice certs}: certificates for TLS. */
@Command(name = "certs", mixinStandardHelpOptions = true, description = "Certificates for TLS.",
    subcommands = CertsCommand.Dev.class)
final class CertsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing subcommand (dev)");
  }

  /** {@code sluice certs dev}: a development CA, node certificates and a client certificate. */
  @Command(name = "dev", mixinStandardHelpOptions = true,
      description = {
        "Write a development CA (ca.crt, ca.key), a certificate and key per node (NODE.crt, NODE.key;"
            + " server and client use, subjectAltNames: the node name, localhost, 127.0.0.1 and --hosts) and a"
            + " client certificate (client.crt, client.key; CN = --client). An existing ca.crt/ca.key pair in DIR"
            + " is reused, so certificates issued earlier stay valid. Keys are EC P-256, PKCS#8 PEM, mode 0600.",
        "For development and tests: anyone who can read ca.key can mint certificates."})
  static final class Dev implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Directory to write to.")
    Path out;

    @Option(names = "--nodes", paramLabel = "ID[,ID...]", split = ",", defaultValue = "n1,n2,n3",
        description = "Node ids, one certificate each (default: ${DEFAULT-VALUE}).")
    List<String> nodes = new ArrayList<>();

    @Option(names = "--hosts", paramLabel = "HOST[,HOST...]", split = ",",
        description = "More DNS names or IP addresses for every node certificate (the addresses clients and peers"
            + " use to reach the nodes).")
    List<String> hosts = new ArrayList<>();

    @Option(names = "--days", paramLabel = "N", defaultValue = "" + DevCertificates.DEFAULT_DAYS,
        description = "Validity of the node and client certificates in days (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--client", paramLabel = "NAME", defaultValue = DevCertificates.DEFAULT_CLIENT,
        description = "Principal of the client certificate, its subject CN (default: ${DEFAULT-VALUE}).")
    String client;

    @Override
    public Integer call() {
      DevCertificates.Written written;
      try {
        written = DevCertificates.writeDev(out, nodes, hosts, days, client);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      } catch (IOException e) {
        throw new CliException("cannot write certificates to " + out + ": " + e.getMessage(), e);
      }
      PrintWriter w = spec.commandLine().getOut();
      w.printf("%s %s and %s%n", written.reusedCa() ? "kept the CA in" : "wrote the CA", written.caCert(),
          written.caKey());
      for (Path p : written.nodeCerts()) {
        String name = p.getFileName().toString();
        w.printf("wrote %s and %s%n", p, p.resolveSibling(name.substring(0, name.length() - 4) + ".key"));
      }
      w.printf("wrote %s and %s (CN=%s)%n", written.clientCert(), written.clientCert().resolveSibling("client.key"),
          client);
      w.printf("server: sluice server ... --tls-cert %s --tls-key %s --tls-client-ca %s%n",
          out.resolve(nodes.get(0) + ".crt"), out.resolve(nodes.get(0) + ".key"), written.caCert());
      w.printf("client: sluice cluster status --tls-ca %s [--tls-cert %s --tls-key %s]%n", written.caCert(),
          written.clientCert(), written.clientCert().resolveSibling("client.key"));
      w.flush();
      return SluiceCli.EXIT_OK;
    }
  }
}
