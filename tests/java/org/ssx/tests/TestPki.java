package org.ssx.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.ssx.SecuritySettings;

/**
 * A throwaway development PKI: ca.pem and, per identity, NAME.pem (leaf then CA) and NAME.key
 * (0600). Made with the ssx CLI (system property ssx.cli) when it exists, else with openssl.
 */
final class TestPki implements AutoCloseable {
    final Path dir;
    private final String cli = System.getProperty("ssx.cli", "");

    TestPki() throws Exception {
        this("ssx Java test CA");
    }

    TestPki(String caName) throws Exception {
        dir = Files.createTempDirectory("ssx-java-pki-");
        if (useCli()) {
            run(cli, "pki", "init", dir.toString(), "--cn", caName);
        } else {
            run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", dir.resolve("ca.key").toString());
            run("openssl", "req", "-x509", "-new", "-key", dir.resolve("ca.key").toString(), "-sha256", "-days", "30",
                    "-subj", "/CN=" + caName, "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", ca().toString());
        }
        issue("server", new String[] {"server.test"}, new String[] {"127.0.0.1", "::1"}, new String[] {"spiffe://test/server"});
        issue("client", new String[] {"client.test"}, new String[0], new String[] {"spiffe://test/client"});
    }

    private boolean useCli() {
        return !cli.isEmpty() && Files.isExecutable(Path.of(cli));
    }

    Path ca() {
        return dir.resolve("ca.pem");
    }

    Path cert(String name) {
        return dir.resolve(name + ".pem");
    }

    Path key(String name) {
        return dir.resolve(name + ".key");
    }

    /** Settings presenting NAME and trusting {@code trust}'s CA. */
    SecuritySettings settings(String name, TestPki trust) {
        return new SecuritySettings().certificateFile(cert(name)).privateKeyFile(key(name)).trustFile(trust.ca());
    }

    SecuritySettings settings(String name) {
        return settings(name, this);
    }

    void issue(String name, String[] dns, String[] ip, String[] uri) throws Exception {
        if (useCli()) {
            List<String> args = new ArrayList<>(Arrays.asList(cli, "pki", "issue", dir.toString(), name));
            for (String d : dns) args.addAll(List.of("--dns", d));
            for (String i : ip) args.addAll(List.of("--ip", i));
            for (String u : uri) args.addAll(List.of("--uri", u));
            run(args.toArray(new String[0]));
            return;
        }
        List<String> sans = new ArrayList<>();
        for (String d : dns) sans.add("DNS:" + d);
        for (String i : ip) sans.add("IP:" + i);
        for (String u : uri) sans.add("URI:" + u);
        Path ext = dir.resolve(name + ".ext");
        Files.writeString(ext, "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                + "extendedKeyUsage=serverAuth,clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
                + (sans.isEmpty() ? "" : "subjectAltName=" + String.join(",", sans) + "\n"));
        Path csr = dir.resolve(name + ".csr"), leaf = dir.resolve(name + ".leaf");
        run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key(name).toString());
        Files.setPosixFilePermissions(key(name), PosixFilePermissions.fromString("rw-------"));
        run("openssl", "req", "-new", "-key", key(name).toString(), "-subj", "/CN=" + name, "-out", csr.toString());
        run("openssl", "x509", "-req", "-in", csr.toString(), "-CA", ca().toString(), "-CAkey", dir.resolve("ca.key").toString(),
                "-set_serial", "0x7" + UUID.randomUUID().toString().replace("-", "").substring(0, 15), "-days", "30", "-sha256",
                "-extfile", ext.toString(), "-out", leaf.toString());
        Files.writeString(cert(name), Files.readString(leaf) + Files.readString(ca()));
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish within 60 s");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + new String(output, StandardCharsets.UTF_8));
        }
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
