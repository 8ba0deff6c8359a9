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
 * [--log-level LEVEL] [--extra-plugins CLASS,CLASS...] [--users-file PATH]}. The extra plugins are
 * loaded from the classpath after the netty4 HTTP transport and {@link RootInfoPlugin} (start.sh
 * passes x-pack core, ES|QL and security).
 *
 * <p>When a security plugin is among them, security is on without TLS (a one-node cluster on
 * 127.0.0.1 needs none): a request without credentials runs as the anonymous user with the
 * {@code superuser} role, so tests that send no credentials work as on a node without security,
 * while a request with credentials is checked against the file realm, whose users come from
 * {@code --users-file} (lines {@code name:password:role}; the passwords are bcrypt-hashed into
 * {@code config/users}). Wrong credentials are answered 401, a user whose role lacks a privilege
 * 403, exactly as on a production cluster. The native realm, native roles and API keys cannot
 * work: their {@code .security} index needs the analysis-common module, which is not on Maven
 * Central (start.sh turns off the synchronisation of built-in roles into that index). Port 0 (the default) lets the operating system pick a free port; the bound
 * port is read back from the HTTP transport. The pid file, when asked for, is written before the
 * node starts so that a supervisor can stop a node that hangs during start-up.
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
            .put(securitySettings(flags.getOrDefault("--extra-plugins", "")))
            .build();
        if (flags.containsKey("--users-file")) {
            writeFileRealm(Path.of(flags.get("--users-file")), home.resolve("config"));
        }

        LogConfigurator.configureESLogging();
        LogConfigurator.configureWithoutConfig(settings);

        Environment environment = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), home.resolve("config"), () -> NODE_NAME);
        List<Class<? extends Plugin>> plugins = new ArrayList<>(List.of(Netty4Plugin.class, RootInfoPlugin.class));
        for (String name : flags.getOrDefault("--extra-plugins", "").split(",")) {
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
        String url = "http://127.0.0.1:" + bound.getPort();

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        String health = send(http, HttpRequest.newBuilder(URI.create(url + "/_cluster/health?wait_for_status=green&timeout=120s")).GET());
        if (health.contains("\"status\":\"green\"") == false) {
            throw new IllegalStateException("cluster did not turn green: " + health);
        }
        send(http, HttpRequest.newBuilder(URI.create(url + "/_index_template/sigmabridge-defaults"))
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

    /** Security settings when a security plugin is loaded, none otherwise. */
    private static Settings securitySettings(String extraPlugins) {
        if (extraPlugins.contains(".security.") == false) {
            return Settings.EMPTY;
        }
        return Settings.builder()
            .put("xpack.security.enabled", true)
            .put("xpack.security.http.ssl.enabled", false)
            .put("xpack.security.transport.ssl.enabled", false)
            .put("xpack.security.authc.anonymous.username", "_anonymous")
            .put("xpack.security.authc.anonymous.roles", "superuser")
            .put("xpack.security.authc.realms.file.file.order", 0)
            .build();
    }

    /**
     * Writes the file realm's {@code users} and {@code users_roles} from lines
     * {@code name:password:role} (blank lines and lines starting with # are skipped).
     */
    private static void writeFileRealm(Path usersFile, Path configDir) throws IOException {
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
        }
        StringBuilder roles = new StringBuilder();
        byRole.forEach((role, names) -> roles.append(role).append(':').append(String.join(",", names)).append('\n'));
        Files.writeString(configDir.resolve("users"), users, StandardCharsets.UTF_8);
        Files.writeString(configDir.resolve("users_roles"), roles, StandardCharsets.UTF_8);
    }

    private static String send(HttpClient http, HttpRequest.Builder request) throws IOException, InterruptedException {
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
                throw new IllegalArgumentException("usage: TestNode --url-file PATH --home DIR [--pid-file PATH] [--http-port N] [--log-level LEVEL] [--extra-plugins CLASSES] [--users-file PATH]");
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
