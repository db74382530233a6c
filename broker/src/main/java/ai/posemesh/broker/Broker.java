package ai.posemesh.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * The embedded Kafka broker of {@code ./pose up}: one KRaft node that is broker and controller at once, listening on
 * loopback only, its log in {@code DIR/data}. The storage is formatted once, when {@code meta.properties} is missing
 * (formatting again would give a new cluster id and break the next start); a second start reuses the data.
 *
 * <p>{@code java -jar posemesh-broker.jar --dir DIR --port N --controller-port N}. Prints one line starting with
 * {@value #READY} once the broker serves; SIGTERM (or Ctrl-C) shuts it down cleanly. Exit status 2 for bad arguments.
 */
public final class Broker {

    /** The line a supervisor waits for. */
    public static final String READY = "posemesh broker ready";

    private Broker() {}

    public static void main(String[] args) throws Exception {
        Args a;
        try {
            a = Args.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("broker: " + e.getMessage());
            System.err.println("usage: posemesh-broker --dir DIR --port N --controller-port N");
            System.exit(2);
            return;
        }
        Path props = writeConfig(a);
        Properties p = load(props);
        Path data = a.dir().resolve("data");
        if (!Files.isRegularFile(data.resolve("meta.properties"))) {
            format(props);
        }
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(p, false), Time.SYSTEM);
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown, "broker-shutdown"));
        server.startup();
        System.out.printf(
                "%s on 127.0.0.1:%d (controller 127.0.0.1:%d, data %s)%n", READY, a.port(), a.controllerPort(), data);
        System.out.flush();
        server.awaitShutdown();
    }

    /**
     * One combined node with a static voter set (so a later start on other ports still reads its data), replication
     * factor 1 everywhere, no automatic topic creation (the services create theirs), no group rebalance delay.
     */
    static Path writeConfig(Args a) throws IOException {
        Files.createDirectories(a.dir());
        Path data = a.dir().resolve("data").toAbsolutePath();
        List<String> lines = List.of(
                "# written by posemesh-broker at every start; edit the flags of ./pose up instead",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + a.controllerPort(),
                "listeners=PLAINTEXT://127.0.0.1:" + a.port() + ",CONTROLLER://127.0.0.1:" + a.controllerPort(),
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + a.port(),
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + data,
                "num.partitions=1",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=4",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=false");
        Path file = a.dir().resolve("server.properties");
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (String l : lines) {
                w.write(l);
                w.write('\n');
            }
        }
        return file;
    }

    /** kafka-storage format with a new cluster id; its output goes to stdout, a failure ends the process. */
    private static void format(Path props) {
        String clusterId = Uuid.randomUuid().toString();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            code = kafka.tools.StorageTool.execute(
                    new String[] {"format", "--cluster-id", clusterId, "--config", props.toString()}, ps);
        }
        String said = out.toString(StandardCharsets.UTF_8).strip();
        if (code != 0) {
            System.err.println("broker: formatting the storage failed (exit " + code + "): " + said);
            System.exit(1);
        }
        System.out.println(
                "broker: formatted new storage, cluster id " + clusterId + (said.isEmpty() ? "" : ": ") + said);
    }

    private static Properties load(Path file) throws IOException {
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        return p;
    }

    record Args(Path dir, int port, int controllerPort) {
        static Args parse(String[] args) {
            Path dir = null;
            int port = -1;
            int controller = -1;
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(flag + ": a value is missing");
                }
                String v = args[++i];
                switch (flag) {
                    case "--dir" -> dir = Path.of(v).toAbsolutePath().normalize();
                    case "--port" -> port = port(flag, v);
                    case "--controller-port" -> controller = port(flag, v);
                    default -> throw new IllegalArgumentException("unknown flag " + flag);
                }
            }
            if (dir == null || port < 0 || controller < 0) {
                throw new IllegalArgumentException("--dir, --port and --controller-port are required");
            }
            if (port == controller) {
                throw new IllegalArgumentException("--port and --controller-port must differ, both are " + port);
            }
            return new Args(dir, port, controller);
        }

        private static int port(String flag, String v) {
            try {
                int p = Integer.parseInt(v);
                if (p > 0 && p <= 65535) {
                    return p;
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new IllegalArgumentException(flag + ": not a port: " + v);
        }
    }
}
