package ai.posemesh.cli.mesh;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How each process of the mesh is started: its JVM command line (configuration as system properties, which win over
 * the app's application.properties), what a user talks to, and how its readiness is asked. Everything listens on
 * 127.0.0.1 only.
 */
public final class Services {

    static final String HOST = "127.0.0.1";
    static final int NAME_WIDTH = 9;

    private Services() {}

    /**
     * @param env added to the process's environment (the rest is inherited)
     * @param ready an http:// readiness URL or {@code tcp:HOST:PORT}
     */
    record Launch(List<String> command, Map<String, String> env, Map<String, String> endpoints, String ready) {}

    /**
     * The environment of a service: DJL offline; for the two that run libtorch (trainer, inference), OpenMP threads
     * that sleep when idle instead of spinning, unless the user's environment says otherwise. Both processes size
     * their pools to every core; spinning, an idle pool takes the cores from the busy one (measured on 2 cores with
     * the demo: the second job trained at 2,382 tok/s while the first was evaluated, 3,006 with passive waits; that
     * evaluation took 72 s instead of 36 s).
     */
    static Map<String, String> env(String service) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("OPT_OUT_TRACKING", "true");
        boolean libtorch = service.equals(MeshSpec.TRAINER) || service.equals(MeshSpec.INFERENCE);
        if (libtorch && System.getenv("OMP_WAIT_POLICY") == null) {
            env.put("OMP_WAIT_POLICY", "PASSIVE");
        }
        return env;
    }

    static Launch launch(MeshSpec spec, String service) {
        MeshPorts ports = spec.ports();
        List<String> c = new ArrayList<>();
        c.add(java());
        Map<String, String> endpoints = new LinkedHashMap<>();
        if (service.equals(MeshSpec.KAFKA)) {
            c.addAll(spec.properties().getOrDefault(service, Map.of()).entrySet().stream()
                    .map(e -> "-D" + e.getKey() + "=" + e.getValue())
                    .toList());
            c.addAll(List.of(
                    "-jar",
                    spec.jar(service).toString(),
                    "--dir",
                    spec.kafkaDir().toString(),
                    "--port",
                    Integer.toString(ports.get(MeshPorts.KAFKA)),
                    "--controller-port",
                    Integer.toString(ports.get(MeshPorts.KAFKA_CONTROLLER))));
            String bootstrap = bootstrap(ports);
            endpoints.put("bootstrap", bootstrap);
            return new Launch(c, env(service), endpoints, "tcp:" + bootstrap);
        }
        int grpc = ports.get(service + "-grpc");
        int http = ports.get(service + "-http");
        Map<String, String> props = new LinkedHashMap<>();
        props.put("quarkus.http.host", HOST);
        props.put("quarkus.http.port", Integer.toString(http));
        props.put("quarkus.grpc.server.host", HOST);
        props.put("quarkus.grpc.server.port", Integer.toString(grpc));
        props.put("ai.djl.offline", "true");
        props.put("OPT_OUT_TRACKING", "true");
        // DJL warns about CUDA on every CPU machine
        props.put("quarkus.log.category.\"ai.djl.util.cuda.CudaUtils\".level", "ERROR");
        switch (service) {
            case MeshSpec.INFERENCE -> {
                List<String> models = new ArrayList<>();
                spec.models().forEach((name, dir) -> models.add(name + "=" + dir));
                props.put("posemesh.inference.models", String.join(",", models));
            }
            case MeshSpec.TRAINER -> {
                props.put("kafka.bootstrap.servers", bootstrap(ports));
                props.put("posemesh.trainer.checkpoint-root", spec.checkpoints().toString());
                props.put("posemesh.trainer.data-root", spec.dataRoot().toString());
            }
            case MeshSpec.EVAL -> {
                props.put("kafka.bootstrap.servers", bootstrap(ports));
                props.put("posemesh.eval.inference.endpoint", HOST + ":" + ports.get("inference-grpc"));
                props.put("posemesh.eval.reports-root", spec.reports().toString());
                props.put(
                        "posemesh.eval.suite.perplexity.corpus",
                        spec.evalCorpus().toString());
            }
            default -> throw new IllegalArgumentException("no service " + service);
        }
        props.putAll(spec.properties().getOrDefault(service, Map.of()));
        props.forEach((k, v) -> c.add("-D" + k + "=" + v));
        c.add("-jar");
        c.add(spec.jar(service).toString());
        endpoints.put("grpc", HOST + ":" + grpc);
        endpoints.put("http", "http://" + HOST + ":" + http);
        if (service.equals(MeshSpec.EVAL)) {
            endpoints.put("reports", "http://" + HOST + ":" + http + "/reports/");
        }
        // inference is ready once a model is loaded; with none, being up is all it can be
        String health = service.equals(MeshSpec.INFERENCE) && spec.models().isEmpty() ? "live" : "ready";
        return new Launch(c, env(service), endpoints, "http://" + HOST + ":" + http + "/q/health/" + health);
    }

    static String bootstrap(MeshPorts ports) {
        return HOST + ":" + ports.get(MeshPorts.KAFKA);
    }

    /** This JVM's java binary, so every service runs on the same JDK. */
    public static String java() {
        return ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
