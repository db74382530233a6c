package ai.posemesh.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Serve models with inference-service in the foreground: the gRPC Inference API (`pose generate`) and "
                    + "OpenAI-compatible HTTP (/v1/completions, /v1/models; health at /q/health). Ctrl-C stops it.",
            "Runs inference-service/target/quarkus-app/quarkus-run.jar (next to this CLI in the repository; "
                    + "./pose builds it when its sources changed; POSEMESH_INFERENCE_JAR names another) in a child "
                    + "JVM with the same java, offline (no DJL download or telemetry). The exit status is the "
                    + "service's."
        })
final class ServeCommand implements Callable<Integer> {

    /** Where the service's jar is, relative to the repository root (the CLI jar is cli/target/pose.jar). */
    static final String SERVICE_JAR = "inference-service/target/quarkus-app/quarkus-run.jar";

    static final String JAR_ENV = "POSEMESH_INFERENCE_JAR";
    /** The same as a system property (wins over the environment; for embedding and tests). */
    static final String JAR_PROPERTY = "posemesh.inference.jar";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--model",
            required = true,
            paramLabel = "DIR|NAME=DIR",
            description = "An HF model directory to load, served under its directory's name, or NAME=DIR; "
                    + "repeatable (the first is the default model).")
    List<String> models = new ArrayList<>();

    @Option(
            names = "--grpc-port",
            defaultValue = "9082",
            paramLabel = "N",
            description = "gRPC port (default: ${DEFAULT-VALUE}).")
    int grpcPort;

    @Option(
            names = "--http-port",
            defaultValue = "8082",
            paramLabel = "N",
            description = "HTTP port: OpenAI-compatible API, health, metrics (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(
            names = "--token-budget",
            paramLabel = "N",
            description = "Tokens (prompt + max_new_tokens) that concurrent requests may hold together; more is "
                    + "RESOURCE_EXHAUSTED (default: the service's).")
    Long tokenBudget;

    @Option(
            names = "--prefill-chunk",
            paramLabel = "N",
            description = "Prompt tokens per prefill forward; bounds memory (default: the service's).")
    Integer prefillChunk;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Map<String, Path> served = models(models);
        checkPort("--grpc-port", grpcPort);
        checkPort("--http-port", httpPort);
        if (grpcPort == httpPort) {
            throw bad("--grpc-port and --http-port must differ, both are " + grpcPort);
        }
        if (tokenBudget != null && tokenBudget <= 0) {
            throw bad("--token-budget: must be > 0, got " + tokenBudget);
        }
        if (prefillChunk != null && prefillChunk <= 0) {
            throw bad("--prefill-chunk: must be > 0, got " + prefillChunk);
        }
        Path jar = serviceJar(System.getProperty(JAR_PROPERTY, System.getenv(JAR_ENV)), Repository.codeLocation());
        List<String> command = command(ai.posemesh.cli.mesh.Services.java(), jar, served);
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        // DJL must never reach the network: no telemetry, libtorch from the bundled jar
        pb.environment().put("OPT_OUT_TRACKING", "true");
        var err = spec.commandLine().getErr();
        err.printf(
                "serving %s on gRPC :%d, HTTP :%d (Ctrl-C stops)%n",
                String.join(", ", served.keySet()), grpcPort, httpPort);
        err.flush();
        Process child = pb.start();
        Thread stop = new Thread(() -> stop(child), "pose-serve-stop");
        Runtime.getRuntime().addShutdownHook(stop);
        int code = child.waitFor();
        try {
            Runtime.getRuntime().removeShutdownHook(stop);
        } catch (IllegalStateException shuttingDown) {
            // the hook stops the (already ended) child
        }
        return code;
    }

    /** Ctrl-C (or any JVM exit): ask the service to shut down gracefully, then force it after 20 s. */
    private static void stop(Process child) {
        if (!child.isAlive()) {
            return;
        }
        child.destroy();
        try {
            if (!child.waitFor(20, TimeUnit.SECONDS)) {
                child.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            child.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The child JVM's command line: the configuration as system properties (names from inference-service's
     * application.properties), offline DJL, then {@code -jar}.
     */
    List<String> command(String java, Path jar, Map<String, Path> served) {
        List<String> c = new ArrayList<>();
        c.add(java);
        c.add("-Dquarkus.grpc.server.port=" + grpcPort);
        c.add("-Dquarkus.http.port=" + httpPort);
        List<String> pairs = new ArrayList<>();
        served.forEach((name, dir) -> pairs.add(name + "=" + dir));
        c.add("-Dposemesh.inference.models=" + String.join(",", pairs));
        if (tokenBudget != null) {
            c.add("-Dposemesh.inference.token-budget=" + tokenBudget);
        }
        if (prefillChunk != null) {
            c.add("-Dposemesh.inference.prefill-chunk=" + prefillChunk);
        }
        c.add("-Dai.djl.offline=true");
        c.add("-DOPT_OUT_TRACKING=true");
        // DJL warns about CUDA on every CPU machine (./pose silences the same logger for the CLI)
        c.add("-Dquarkus.log.category.\"ai.djl.util.cuda.CudaUtils\".level=ERROR");
        c.add("-jar");
        c.add(jar.toString());
        return c;
    }

    /**
     * The --model values as name → absolute directory, in order: each a directory with a config.json (else a CLI
     * error naming the path, exit 2); names unique, without ',' or '=' (the service's list syntax).
     */
    static Map<String, Path> models(List<String> values) {
        Map<String, Path> served = new LinkedHashMap<>();
        for (String v : values) {
            int eq = v.indexOf('=');
            String dir = eq >= 0 ? v.substring(eq + 1) : v;
            if (dir.isBlank()) {
                throw new PoseCommand.CliException("--model " + v + ": no directory given");
            }
            Path p;
            try {
                p = Path.of(dir).toAbsolutePath().normalize();
            } catch (java.nio.file.InvalidPathException e) {
                throw new PoseCommand.CliException("--model " + v + ": not a path (" + e.getMessage() + ")");
            }
            if (!Files.isDirectory(p)) {
                throw new PoseCommand.CliException("--model: " + p + ": no such directory");
            }
            if (!Files.isRegularFile(p.resolve("config.json"))) {
                throw new PoseCommand.CliException(
                        "--model: " + p.resolve("config.json") + ": file not found (not an HF model directory)");
            }
            if (p.toString().contains(",")) {
                throw new PoseCommand.CliException("--model: " + p + ": a served directory's path cannot contain ','");
            }
            String name = eq >= 0
                    ? v.substring(0, eq)
                    : p.getFileName() == null ? "" : p.getFileName().toString();
            if (name.isEmpty() || name.contains(",") || name.contains("=")) {
                throw new PoseCommand.CliException(
                        "--model " + v + ": name '" + name + "' must be non-empty, without ',' or '='");
            }
            if (served.putIfAbsent(name, p) != null) {
                throw new PoseCommand.CliException("--model: two models named '" + name + "' (" + served.get(name)
                        + " and " + p + "); serve one as NAME=DIR");
            }
        }
        return served;
    }

    private void checkPort(String flag, int port) {
        if (port < 0 || port > 65535) {
            throw bad(flag + ": not a port: " + port);
        }
    }

    private CommandLine.ParameterException bad(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /**
     * The service's jar: {@code env} (POSEMESH_INFERENCE_JAR) when set, else {@link #SERVICE_JAR} in the repository
     * that holds {@code cliJar} (cli/target/pose.jar, or cli/target/classes when run from a build). Missing: a CLI
     * error saying how to build it (exit 1).
     */
    static Path serviceJar(String env, Path cliJar) {
        Path jar;
        if (env != null && !env.isBlank()) {
            jar = Path.of(env).toAbsolutePath();
            if (!Files.isRegularFile(jar)) {
                throw new PoseCommand.CliException(JAR_ENV + "=" + env + ": file not found", 1);
            }
            return jar;
        }
        Path root = cliJar == null ? null : cliJar.toAbsolutePath().getParent(); // cli/target
        root = root == null || root.getParent() == null
                ? null
                : root.getParent().getParent(); // the repository
        if (root == null) {
            throw new PoseCommand.CliException(
                    "cannot tell where inference-service is (the CLI runs from " + cliJar + "); set " + JAR_ENV
                            + " to its quarkus-run.jar",
                    1);
        }
        jar = root.resolve(SERVICE_JAR);
        if (!Files.isRegularFile(jar)) {
            throw new PoseCommand.CliException(
                    jar + ": not built; build it with `mvn -B -pl inference-service -am " + "package -DskipTests` in "
                            + root + " (./pose serve does this itself), or set " + JAR_ENV,
                    1);
        }
        return jar;
    }
}
