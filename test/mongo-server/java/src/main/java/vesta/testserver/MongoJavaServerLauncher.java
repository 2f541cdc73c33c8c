package vesta.testserver;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

/**
 * Starts mongo-java-server for Vesta's tests (see test/mongo-server/test-server.ts).
 *
 * <pre>
 * java -cp 'vesta-mongo-java-server.jar:lib/*' vesta.testserver.MongoJavaServerLauncher \
 *     [--host 127.0.0.1] [--port 0] [--backend memory|h2] [--h2-file PATH] \
 *     [--server-version 6.0.0] [--wire-version 17] [--log-level warn] [--exit-on-stdin-eof]
 * </pre>
 *
 * Port 0 picks a free port. Once bound it prints one line {@code VESTA_MONGO_LISTENING mongodb://HOST:PORT/}
 * on stdout; logs go to stderr. SIGTERM/SIGINT shut it down (the H2 backend commits and closes its file), and so
 * does the end of stdin with {@code --exit-on-stdin-eof}: a parent that holds the pipe and dies, even by SIGKILL,
 * takes the server with it.
 *
 * mongo-java-server reports MongoDB 5.0.0 with max wire version 8 by default, which current Node drivers
 * (mongodb 7.x needs wire version 9 or more) refuse at handshake; the version reported here is set with
 * {@link MongoBackend#version(MongoVersion)}. Only the numbers in ismaster/buildInfo/serverStatus change:
 * the server's behaviour does not depend on them.
 */
public final class MongoJavaServerLauncher {

    private MongoJavaServerLauncher() {
    }

    /** A server version and the max wire version reported with it. */
    private record ReportedVersion(List<Integer> versionArray, int wireVersion) implements MongoVersion {
        @Override
        public List<Integer> getVersionArray() {
            return versionArray;
        }

        @Override
        public int getWireVersion() {
            return wireVersion;
        }
    }

    public static void main(String[] args) throws InterruptedException {
        String host = "127.0.0.1";
        int port = 0;
        String backendName = "memory";
        String h2File = null;
        String serverVersion = "6.0.0";
        int wireVersion = 17;
        String logLevel = "warn";
        boolean exitOnStdinEof = false;

        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                usage(0, null);
            }
            if (arg.equals("--exit-on-stdin-eof")) {
                exitOnStdinEof = true;
                continue;
            }
            if (i + 1 >= args.length) {
                usage(2, "missing value for " + arg);
            }
            String value = args[++i];
            switch (arg) {
                case "--host" -> host = value;
                case "--port" -> port = parseInt(arg, value);
                case "--backend" -> backendName = value;
                case "--h2-file" -> h2File = value;
                case "--server-version" -> serverVersion = value;
                case "--wire-version" -> wireVersion = parseInt(arg, value);
                case "--log-level" -> logLevel = value;
                default -> usage(2, "unknown option " + arg);
            }
        }

        // Before any logger exists: slf4j-simple reads these once, and writes to stderr.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", logLevel);
        }
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");

        MongoBackend backend = switch (backendName) {
            case "memory" -> new MemoryBackend();
            case "h2" -> {
                if (h2File == null) {
                    usage(2, "--backend h2 needs --h2-file PATH");
                }
                yield new H2Backend(h2File);
            }
            default -> {
                usage(2, "unknown backend " + backendName + " (memory or h2)");
                yield null;
            }
        };
        backend.version(new ReportedVersion(parseVersion(serverVersion), wireVersion));

        MongoServer server = new MongoServer(backend);
        server.bind(host, port);
        InetSocketAddress address = server.getLocalAddress();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("vesta-mongo-java-server: shutting down");
            server.shutdownNow();
            stopped.countDown();
            System.err.flush();
            // A stop by SIGTERM is the normal end: exit 0 rather than the JVM's 143.
            Runtime.getRuntime().halt(0);
        }, "vesta-shutdown"));

        String uriHost = address.getHostString().contains(":") ? "[" + address.getHostString() + "]" : address.getHostString();
        System.out.println("VESTA_MONGO_LISTENING mongodb://" + uriHost + ":" + address.getPort() + "/");
        System.out.flush();

        if (exitOnStdinEof) {
            Thread watcher = new Thread(() -> {
                try {
                    while (System.in.read() >= 0) {
                        // ignore input; wait for the end
                    }
                } catch (IOException e) {
                    // treat as the end
                }
                System.err.println("vesta-mongo-java-server: stdin closed");
                System.exit(0);
            }, "vesta-stdin-watch");
            watcher.setDaemon(true);
            watcher.start();
        }

        stopped.await();
    }

    private static int parseInt(String option, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            usage(2, option + " needs an integer, got " + value);
            return -1;
        }
    }

    private static List<Integer> parseVersion(String version) {
        List<Integer> parts = new ArrayList<>();
        for (String part : version.split("\\.")) {
            parts.add(parseInt("--server-version", part));
        }
        while (parts.size() < 3) {
            parts.add(0);
        }
        return List.copyOf(parts);
    }

    private static void usage(int exitCode, String error) {
        if (error != null) {
            System.err.println("vesta-mongo-java-server: " + error);
        }
        System.err.println("usage: MongoJavaServerLauncher [--host 127.0.0.1] [--port 0] [--backend memory|h2] [--h2-file PATH]"
            + " [--server-version 6.0.0] [--wire-version 17] [--log-level warn] [--exit-on-stdin-eof]");
        System.exit(exitCode);
    }
}
