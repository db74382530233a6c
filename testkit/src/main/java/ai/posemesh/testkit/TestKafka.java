package ai.posemesh.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * One real Kafka broker per test JVM: Testcontainers' apache/kafka when a Docker daemon answers, otherwise a KRaft
 * broker inside this JVM from Kafka's own jars (KafkaClusterTestKit, 4.1.2 like kafka-clients). The bootstrap address
 * lives in a system property, so plain JUnit tests and Quarkus tests (another class loader) share the broker.
 * {@code -Dposemesh.test.kafka=embedded|docker} forces a choice.
 */
public final class TestKafka {

    private static final String PROPERTY = "posemesh.test.kafka.bootstrap";
    public static final String IMAGE = "apache/kafka:4.1.2";

    private TestKafka() {}

    public static String bootstrapServers() {
        synchronized (System.class) { // a JVM-wide lock: this class may be loaded by two class loaders
            String running = System.getProperty(PROPERTY);
            if (running != null) {
                return running;
            }
            String choice = System.getProperty("posemesh.test.kafka", "auto");
            String bootstrap;
            try {
                bootstrap = choice.equals("docker") || (choice.equals("auto") && dockerAnswers())
                        ? startContainer()
                        : startEmbedded();
            } catch (Exception e) {
                throw new IllegalStateException("could not start a Kafka broker for the tests", e);
            }
            System.setProperty(PROPERTY, bootstrap);
            return bootstrap;
        }
    }

    /** Asks Testcontainers only when a daemon could be there: it is slow to say no. */
    static boolean dockerAnswers() {
        String host = System.getenv("DOCKER_HOST");
        if ((host == null || host.isBlank()) && !Files.exists(Path.of("/var/run/docker.sock"))) {
            return false;
        }
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable t) {
            return false;
        }
    }

    private static String startContainer() {
        KafkaContainer kafka = new KafkaContainer(IMAGE);
        kafka.start();
        Runtime.getRuntime().addShutdownHook(new Thread(kafka::stop, "test-kafka-stop"));
        System.out.println("test Kafka: Testcontainers " + IMAGE + " at " + kafka.getBootstrapServers());
        return kafka.getBootstrapServers();
    }

    private static String startEmbedded() throws Exception {
        long t0 = System.nanoTime();
        Path dir = Files.createDirectories(Path.of("target"))
                .resolve("test-kafka-" + ProcessHandle.current().pid());
        KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                        .setBaseDirectory(
                                dir) // ours, deleted by close(): no temp-dir hook racing the broker's shutdown
                        .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
                        .setCombined(true)
                        .setNumBrokerNodes(1)
                        .setNumControllerNodes(1)
                        .build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "4")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("auto.create.topics.enable", "false")
                .setDeleteOnClose(true)
                .build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                cluster.close();
                            } catch (Exception e) {
                                // the JVM is going away
                            }
                        },
                        "test-kafka-stop"));
        System.out.printf(
                "test Kafka: embedded KRaft broker at %s (%.1f s)%n",
                cluster.bootstrapServers(), (System.nanoTime() - t0) / 1e9);
        return cluster.bootstrapServers();
    }
}
