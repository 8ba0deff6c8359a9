package org.sigmabridge.esnode;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.SecureString;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.transport.TransportAddress;
import org.elasticsearch.env.Environment;
import org.elasticsearch.http.HttpServerTransport;
import org.elasticsearch.node.ClasspathPluginNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.netty4.Netty4Plugin;
import org.elasticsearch.xpack.core.security.authc.support.Hasher;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts a one-node Elasticsearch 8 cluster bound to 127.0.0.1 for sigmabridge's integration tests,
 * waits until it is green, installs a catch-all index template with zero replicas, writes the HTTP
 * URL to a file and runs until the process is terminated.
 *
 * <p>Usage: {@code TestNode --url-file PATH --home DIR [--pid-file PATH] [--http-port N]
 * [--log-level LEVEL] [--extra-plugins CLASS,CLASS...] [--users-file PATH] [--anonymous false]
 * [--http-cert PEM --http-key PEM]}. The extra plugins are loaded from the classpath after the
 * netty4 HTTP transport and {@link RootInfoPlugin} (start.sh passes x-pack core, ES|QL and
 * security). Port 0 (the default) lets the operating system pick a free port; the bound port is
 * read back from the HTTP transport. The pid file, when asked for, is written before the node
 * starts so that a supervisor can stop a node that hangs during start-up.
 *
 * <p>When a security plugin is among them, security is on, without TLS unless asked for (a
 * one-node cluster on 127.0.0.1 needs none). A request without credentials runs as the anonymous
 * user with the {@code superuser} role, so tests that send no credentials work as on a node
 * without security; a request with credentials is checked against the file realm, whose users
 * come from {@code --users-file} (lines {@code name:password:role}; the passwords are
 * bcrypt-hashed into {@code config/users}). Wrong credentials are answered 401, exactly as on a
 * production cluster. {@code --anonymous false} turns anonymous access off: every request must
 * then authenticate, a user whose role lacks a privilege is answered 403, and the launcher's own
 * requests use the first superuser of the users file. {@code --http-cert} and {@code --http-key}
 * (PEM) turn on HTTPS. The native realm, native roles and API keys cannot work: their
 * {@code .security} index needs the analysis-common module, which is not on Maven Central
 * (start.sh turns off the synchronisation of built-in roles into that index).
 */
public final class TestNode {
    private static final String NODE_NAME = "sigmabridge-es";
    private static final String DEFAULT_TEMPLATE = """
        {"index_patterns":["*"],"priority":0,
         "template":{"settings":{"index":{"number_of_shards":1,"number_of_replicas":0}}},
         "_meta":{"description":"sigmabridge test node: one shard, no replicas, so a one-node cluster stays green"}}
        """;

    private TestNode() {}

    /**
     * Entry point.
     *
     * @param args command line flags, see the class comment
     * @throws Exception when the node cannot start; the process then exits non-zero
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> flags = parseFlags(args);
        Path urlFile = Path.of(require(flags, "--url-file")).toAbsolutePath();
        Path home = Path.of(require(flags, "--home")).toAbsolutePath();
        String httpPort = flags.getOrDefault("--http-port", "0");

        Files.createDirectories(home.resolve("config"));
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));
        Files.deleteIfExists(urlFile);
        if (flags.containsKey("--pid-file")) {
            Path pidFile = Path.of(flags.get("--pid-file")).toAbsolutePath();
            Files.createDirectories(pidFile.getParent());
            Files.writeString(pidFile, ProcessHandle.current().pid() + "\n", StandardCharsets.UTF_8);
        }

        String extraPlugins = flags.getOrDefault("--extra-plugins", "");
        boolean anonymous = "false".equals(flags.getOrDefault("--anonymous", "true")) == false;
        boolean security = extraPlugins.contains(".security.");
        boolean tls = flags.containsKey("--http-cert") || flags.containsKey("--http-key");
        if (tls) {
            if (security == false) {
                throw new IllegalArgumentException("--http-cert needs the security plugin");
            }
            Files.copy(Path.of(require(flags, "--http-cert")), home.resolve("config").resolve("http.crt"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(Path.of(require(flags, "--http-key")), home.resolve("config").resolve("http.key"), StandardCopyOption.REPLACE_EXISTING);
        }
        String admin = null;
        if (flags.containsKey("--users-file")) {
            admin = writeFileRealm(Path.of(flags.get("--users-file")), home.resolve("config"));
        }
        if (anonymous == false && admin == null) {
            throw new IllegalArgumentException("--anonymous false needs a superuser in --users-file");
        }
        String authorization = anonymous ? null
            : "Basic " + java.util.Base64.getEncoder().encodeToString(admin.getBytes(StandardCharsets.UTF_8));

        Settings settings = Settings.builder()
            .put("cluster.name", "sigmabridge-test")
            .put("node.name", NODE_NAME)
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", "0")
            .put("discovery.type", "single-node")
            // A test node on a nearly full disk must still accept writes.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("logger.level", flags.getOrDefault("--log-level", "INFO"))
            .put(security ? securitySettings(anonymous, tls) : Settings.EMPTY)
            .build();

        LogConfigurator.configureESLogging();
        LogConfigurator.configureWithoutConfig(settings);

        Environment environment = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), home.resolve("config"), () -> NODE_NAME);
        List<Class<? extends Plugin>> plugins = new ArrayList<>(List.of(Netty4Plugin.class, RootInfoPlugin.class));
        for (String name : extraPlugins.split(",")) {
            if (name.isBlank() == false) {
                plugins.add(Class.forName(name.strip()).asSubclass(Plugin.class));
            }
        }
        Node node = new ClasspathPluginNode(environment, plugins);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (IOException | InterruptedException e) {
                System.err.println("sigmabridge-es: error while closing: " + e);
            } finally {
                stopped.countDown();
            }
        }, "sigmabridge-es-shutdown"));

        long startNanos = System.nanoTime();
        node.start();
        TransportAddress bound = node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress();
        String url = (tls ? "https" : "http") + "://127.0.0.1:" + bound.getPort();

        HttpClient.Builder clientBuilder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (tls) {
            clientBuilder.sslContext(trustingContext());
        }
        HttpClient http = clientBuilder.build();
        String health = send(http, authorization, HttpRequest.newBuilder(URI.create(url + "/_cluster/health?wait_for_status=green&timeout=120s")).GET());
        if (health.contains("\"status\":\"green\"") == false) {
            throw new IllegalStateException("cluster did not turn green: " + health);
        }
        send(http, authorization, HttpRequest.newBuilder(URI.create(url + "/_index_template/sigmabridge-defaults"))
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(DEFAULT_TEMPLATE)));

        Path tmp = urlFile.resolveSibling(urlFile.getFileName() + ".tmp");
        Files.createDirectories(urlFile.getParent());
        Files.writeString(tmp, url + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, urlFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        System.out.printf("sigmabridge-es: ready at %s after %.1f s of node start%n", url, (System.nanoTime() - startNanos) / 1e9);
        System.out.flush();

        stopped.await();
    }

    /** The settings of a node that loads a security plugin. */
    private static Settings securitySettings(boolean anonymous, boolean tls) {
        Settings.Builder b = Settings.builder()
            .put("xpack.security.enabled", true)
            .put("xpack.security.http.ssl.enabled", tls)
            .put("xpack.security.transport.ssl.enabled", false)
            .put("xpack.security.authc.realms.file.file.order", 0);
        if (anonymous) {
            b.put("xpack.security.authc.anonymous.username", "_anonymous").put("xpack.security.authc.anonymous.roles", "superuser");
        }
        if (tls) {
            b.put("xpack.security.http.ssl.certificate", "http.crt").put("xpack.security.http.ssl.key", "http.key");
        }
        return b.build();
    }

    /**
     * An SSL context that accepts any server certificate. The launcher uses it only for its own
     * readiness check and template install on the node it started on 127.0.0.1; clients under
     * test verify the certificate with the CA they are given.
     */
    private static javax.net.ssl.SSLContext trustingContext() throws java.security.GeneralSecurityException {
        javax.net.ssl.X509TrustManager any = new javax.net.ssl.X509TrustManager() {
            @Override
            public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

            @Override
            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
            }
        };
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, new javax.net.ssl.TrustManager[] { any }, null);
        return context;
    }

    /**
     * Writes the file realm's {@code users} and {@code users_roles} from lines
     * {@code name:password:role} (blank lines and lines starting with # are skipped), and returns
     * the first superuser as {@code name:password} (null when there is none).
     */
    private static String writeFileRealm(Path usersFile, Path configDir) throws IOException {
        String admin = null;
        StringBuilder users = new StringBuilder();
        Map<String, List<String>> byRole = new java.util.TreeMap<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(usersFile, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split(":", 3);
            if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()) {
                throw new IllegalArgumentException(usersFile + ":" + lineNo + ": want name:password:role");
            }
            char[] hash = Hasher.BCRYPT.hash(new SecureString(parts[1].toCharArray()));
            users.append(parts[0]).append(':').append(hash).append('\n');
            byRole.computeIfAbsent(parts[2], r -> new ArrayList<>()).add(parts[0]);
            if (admin == null && parts[2].equals("superuser")) {
                admin = parts[0] + ":" + parts[1];
            }
        }
        StringBuilder roles = new StringBuilder();
        byRole.forEach((role, names) -> roles.append(role).append(':').append(String.join(",", names)).append('\n'));
        Files.writeString(configDir.resolve("users"), users, StandardCharsets.UTF_8);
        Files.writeString(configDir.resolve("users_roles"), roles, StandardCharsets.UTF_8);
        return admin;
    }

    private static String send(HttpClient http, String authorization, HttpRequest.Builder request) throws IOException, InterruptedException {
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(150)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException(response.uri() + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    private static Map<String, String> parseFlags(String[] args) {
        Map<String, String> flags = new java.util.HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--") == false || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: TestNode --url-file PATH --home DIR [--pid-file PATH] [--http-port N] [--log-level LEVEL] [--extra-plugins CLASSES] [--users-file PATH] [--anonymous false] [--http-cert PEM --http-key PEM]");
            }
            flags.put(args[i], args[++i]);
        }
        return flags;
    }

    private static String require(Map<String, String> flags, String name) {
        String value = flags.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing " + name);
        }
        return value;
    }
}
