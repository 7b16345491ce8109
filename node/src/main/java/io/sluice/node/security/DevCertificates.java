package io.sluice.node.security;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A development certificate authority and the certificates {@code sluice certs dev} writes: a CA
 * ({@code ca.crt}, {@code ca.key}), one certificate per node (server and client use, for the
 * client port and for mutual TLS between nodes) and a client certificate whose subject CN is the
 * client's principal. Keys are EC P-256, written unencrypted as PKCS#8 PEM with mode 0600.
 *
 * <p>For development and tests only: the CA key sits next to the certificates it signed.
 * Stateless apart from the {@link Authority} objects, which are immutable; thread-safe.
 */
public final class DevCertificates {

  /** Default validity of {@code certs dev} certificates, in days. */
  public static final int DEFAULT_DAYS = 365;
  /** Default client principal (CN of {@code client.crt}). */
  public static final String DEFAULT_CLIENT = "admin";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,62})");
  private static final SecureRandom RANDOM = new SecureRandom();

  private DevCertificates() {}

  /** A certificate and its private key. */
  public record Issued(X509Certificate certificate, PrivateKey key) {
    /** Writes {@code certificate} to {@code certFile} and the key to {@code keyFile} (mode 0600). */
    public void write(Path certFile, Path keyFile) throws IOException {
      writePem(certFile, pem(certificate), false);
      writePem(keyFile, pem(key), true);
    }
  }

  /** A CA that signs certificates. Immutable. */
  public static final class Authority {
    private final Issued ca;

    private Authority(Issued ca) {
      this.ca = ca;
    }

    public X509Certificate certificate() {
      return ca.certificate();
    }

    public Issued issued() {
      return ca;
    }

    /**
     * A certificate signed by this CA, for TLS servers and clients alike.
     *
     * @param commonName its subject CN (the principal of a client certificate)
     * @param names DNS names and IP addresses for its subjectAltName (may be empty for a client)
     */
    public Issued issue(String commonName, List<String> names, Instant notBefore, Instant notAfter) {
      try {
        KeyPair pair = newKeyPair();
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.certificate(), serial(),
            Date.from(notBefore), Date.from(notAfter), subject(commonName), pair.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
        b.addExtension(Extension.extendedKeyUsage, false,
            new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
        b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.certificate()));
        if (!names.isEmpty()) {
          b.addExtension(Extension.subjectAlternativeName, false, subjectAltNames(names));
        }
        return new Issued(sign(b, ca.key()), pair.getPrivate());
      } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
        throw new IllegalStateException("cannot issue a certificate for " + commonName + ": " + e.getMessage(), e);
      }
    }

    /** Like {@link #issue(String, List, Instant, Instant)}, valid from an hour ago for {@code validity}. */
    public Issued issue(String commonName, List<String> names, Duration validity) {
      Instant now = Instant.now();
      return issue(commonName, names, now.minus(Duration.ofHours(1)), now.plus(validity));
    }
  }

  /** A new self-signed CA valid from an hour ago (clock skew) for {@code validity}. */
  public static Authority newAuthority(String commonName, Duration validity) {
    try {
      KeyPair pair = newKeyPair();
      Instant now = Instant.now();
      X500Name name = subject(commonName);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(),
          Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity)), name, pair.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      return new Authority(new Issued(sign(b, pair.getPrivate()), pair.getPrivate()));
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot create a CA: " + e.getMessage(), e);
    }
  }

  /** The CA in {@code caCert} and {@code caKey} (PEM), e.g. to issue more certificates later. */
  public static Authority loadAuthority(Path caCert, Path caKey) throws IOException {
    X509Certificate cert = Pem.readCertificates(caCert).get(0);
    PrivateKey key = Pem.readPrivateKey(caKey);
    return new Authority(new Issued(cert, key));
  }

  /** What {@link #writeDev} wrote. */
  public record Written(Path caCert, Path caKey, List<Path> nodeCerts, Path clientCert, boolean reusedCa) {}

  /**
   * Writes the {@code certs dev} layout into {@code out}: {@code ca.crt}/{@code ca.key} (kept when
   * both exist already, so certificates issued earlier stay valid), {@code NODE.crt}/{@code NODE.key}
   * for each node with subjectAltNames node name, {@code localhost}, {@code 127.0.0.1} and
   * {@code hosts}, and {@code client.crt}/{@code client.key} with CN {@code client}.
   */
  public static Written writeDev(Path out, List<String> nodes, List<String> hosts, int days, String client)
      throws IOException {
    if (days <= 0) {
      throw new IllegalArgumentException("--days must be positive, got " + days);
    }
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("--nodes must name at least one node");
    }
    for (String n : nodes) {
      checkName(n, "node name");
    }
    checkName(client, "client name");
    if (nodes.contains(client) || new LinkedHashSet<>(nodes).size() != nodes.size()) {
      throw new IllegalArgumentException("node and client names must be distinct, got nodes " + nodes
          + " and client " + client);
    }
    for (String h : hosts) {
      if (h.isBlank() || h.contains("*") || h.contains(" ")) {
        throw new IllegalArgumentException("--hosts entry '" + h + "' is not a host name or IP address");
      }
    }
    Files.createDirectories(out);
    Path caCert = out.resolve("ca.crt");
    Path caKey = out.resolve("ca.key");
    Duration validity = Duration.ofDays(days);
    boolean reuse = Files.exists(caCert) && Files.exists(caKey);
    Authority ca;
    if (reuse) {
      ca = loadAuthority(caCert, caKey);
    } else {
      ca = newAuthority("Sluice development CA", Duration.ofDays(Math.max(days, DEFAULT_DAYS) * 2L));
      ca.issued().write(caCert, caKey);
    }
    List<Path> nodeCerts = new ArrayList<>();
    for (String node : nodes) {
      Set<String> names = new LinkedHashSet<>(List.of(node, "localhost", "127.0.0.1"));
      names.addAll(hosts);
      Path cert = out.resolve(node + ".crt");
      ca.issue(node, List.copyOf(names), validity).write(cert, out.resolve(node + ".key"));
      nodeCerts.add(cert);
    }
    Path clientCert = out.resolve("client.crt");
    ca.issue(client, List.of(), validity).write(clientCert, out.resolve("client.key"));
    return new Written(caCert, caKey, nodeCerts, clientCert, reuse);
  }

  private static void checkName(String name, String what) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(what + " '" + name + "' must be 1 to 63 of [A-Za-z0-9._-], starting"
          + " with a letter or digit");
    }
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return g.generateKeyPair();
  }

  private static BigInteger serial() {
    return new BigInteger(64, RANDOM).add(BigInteger.ONE);
  }

  private static X500Name subject(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
  }

  private static GeneralNames subjectAltNames(List<String> names) {
    List<GeneralName> out = new ArrayList<>();
    for (String n : names) {
      out.add(isIpLiteral(n) ? new GeneralName(GeneralName.iPAddress, n) : new GeneralName(GeneralName.dNSName, n));
    }
    return new GeneralNames(out.toArray(GeneralName[]::new));
  }

  static boolean isIpLiteral(String s) {
    if (s.matches("\\d{1,3}(\\.\\d{1,3}){3}") || s.contains(":")) {
      try {
        InetAddress.getByName(s); // a literal: no lookup happens
        return true;
      } catch (IOException e) {
        return false;
      }
    }
    return false;
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey issuerKey)
      throws OperatorCreationException, GeneralSecurityException {
    X509CertificateHolder holder = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey));
    return new JcaX509CertificateConverter().getCertificate(holder);
  }

  /** PEM text of a certificate or a private key (PKCS#8). */
  public static String pem(Object o) {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      w.writeObject(o instanceof PrivateKey k ? new JcaPKCS8Generator(k, null) : o);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return sw.toString();
  }

  private static void writePem(Path file, String text, boolean secret) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp);
    try {
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: keep its defaults
    }
    Files.writeString(tmp, text, StandardCharsets.US_ASCII);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** Reading PEM files, with errors that name the file. */
  public static final class Pem {
    private Pem() {}

    /** Every certificate in {@code file}; at least one. */
    public static List<X509Certificate> readCertificates(Path file) throws IOException {
      List<X509Certificate> out = new ArrayList<>();
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
        for (Object o = p.readObject(); o != null; o = p.readObject()) {
          if (o instanceof X509CertificateHolder h) {
            out.add(new JcaX509CertificateConverter().getCertificate(h));
          }
        }
      } catch (GeneralSecurityException | RuntimeException e) {
        throw new IOException(file + " is not a PEM certificate file: " + e.getMessage(), e);
      }
      if (out.isEmpty()) {
        throw new IOException(file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
      }
      return out;
    }

    /** The private key in {@code file} (PKCS#8, or a traditional EC/RSA PEM key). */
    public static PrivateKey readPrivateKey(Path file) throws IOException {
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
        JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
        for (Object o = p.readObject(); o != null; o = p.readObject()) {
          if (o instanceof PrivateKeyInfo info) {
            return conv.getPrivateKey(info);
          }
          if (o instanceof PEMKeyPair pair) {
            return conv.getKeyPair(pair).getPrivate();
          }
        }
      } catch (RuntimeException e) {
        throw new IOException(file + " is not a PEM private key file: " + e.getMessage(), e);
      }
      throw new IOException(file + " holds no unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)");
    }
  }
}
