package ai.posemesh.cli.mesh;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a mesh is made of: where the repository's built apps are, the mesh's folder (Kafka's data, checkpoints,
 * reports, logs, mesh.json), the corpus folder, the ports, the models inference-service loads at start-up, and extra
 * configuration properties per service ({@code -DKEY=VALUE} on that service's JVM, winning over its
 * application.properties).
 */
public record MeshSpec(
        Path repository,
        Path dir,
        Path dataRoot,
        MeshPorts ports,
        Map<String, Path> models,
        Map<String, Map<String, String>> properties,
        Duration readyTimeout) {

    public static final String KAFKA = "kafka";
    public static final String INFERENCE = "inference";
    public static final String TRAINER = "trainer";
    public static final String EVAL = "eval";
    /** The services, in start order (Kafka and inference first: the others need them). */
    public static final List<String> SERVICES = List.of(KAFKA, INFERENCE, TRAINER, EVAL);

    public static final String BROKER_JAR = "broker/target/posemesh-broker.jar";

    public MeshSpec {
        repository = repository.toAbsolutePath().normalize();
        dir = dir.toAbsolutePath().normalize();
        dataRoot = dataRoot.toAbsolutePath().normalize();
        models = Map.copyOf(new LinkedHashMap<>(models));
        Map<String, Map<String, String>> p = new LinkedHashMap<>();
        properties.forEach((service, kv) -> p.put(service, Map.copyOf(kv)));
        properties = Map.copyOf(p);
    }

    /** The app a service runs: the broker's jar or the service's packaged Quarkus app. */
    public Path jar(String service) {
        return repository.resolve(
                service.equals(KAFKA) ? BROKER_JAR : service + "-service/target/quarkus-app/quarkus-run.jar");
    }

    public Path logs() {
        return dir.resolve("logs");
    }

    public Path checkpoints() {
        return dir.resolve("checkpoints");
    }

    public Path reports() {
        return dir.resolve("reports");
    }

    public Path kafkaDir() {
        return dir.resolve("kafka");
    }

    /** The corpus eval-service's perplexity suite reads, unless a property names another. */
    public Path evalCorpus() {
        String set = properties.getOrDefault(EVAL, Map.of()).get("posemesh.eval.suite.perplexity.corpus");
        return set != null ? Path.of(set) : dataRoot.resolve("books.jsonl");
    }

    /** Checks what must exist before anything starts; each failure names the file and what to do (exit 2). */
    void checkFiles() {
        for (String s : SERVICES) {
            if (!Files.isRegularFile(jar(s))) {
                throw new MeshException(
                        jar(s) + ": not built; `./pose up` builds it, or run `mvn -B package -DskipTests` in "
                                + repository,
                        2);
            }
        }
        models.forEach((name, path) -> {
            if (!Files.isRegularFile(path.resolve("config.json"))) {
                throw new MeshException("--model " + name + "=" + path + ": no config.json there", 2);
            }
        });
        if (!Files.isRegularFile(evalCorpus())) {
            throw new MeshException(
                    "eval-service's perplexity corpus " + evalCorpus() + " is missing: fetch it with `./pose data "
                            + "fetch --family books --out " + dataRoot + "` (about 4 MB of packages, once)",
                    2);
        }
    }
}
