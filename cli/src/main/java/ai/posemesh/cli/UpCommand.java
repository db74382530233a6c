package ai.posemesh.cli;

import ai.posemesh.cli.mesh.Mesh;
import ai.posemesh.cli.mesh.MeshControl;
import ai.posemesh.cli.mesh.MeshPorts;
import ai.posemesh.cli.mesh.MeshSpec;
import ai.posemesh.cli.mesh.MeshState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "up",
        mixinStandardHelpOptions = true,
        description = {
            "Run the whole mesh on this machine: an embedded Kafka broker (KRaft, from Kafka's jars; data in "
                    + "DIR/kafka, formatted once) and trainer-, inference- and eval-service as separate processes, all "
                    + "on 127.0.0.1. Waits until each is ready, prints the endpoints, then prefixes each service's log "
                    + "lines (also in DIR/logs/). Ctrl-C (or `pose down`) stops everything, the last started first.",
            "A second `up` reuses DIR (the broker's data, checkpoints, reports). ./pose builds the apps when their "
                    + "sources changed. Exit status: 0 after a clean stop, 1 when a service failed, 2 for bad input "
                    + "(a port in use, a missing corpus or model, a mesh already running in DIR)."
        })
final class UpCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    MeshDir meshDir;

    @Option(
            names = "--data-root",
            defaultValue = ".pose/data",
            description = "Where `pose data fetch` put the corpus families: the trainer's data root, and "
                    + "books.jsonl for eval-service's perplexity suite (default: ${DEFAULT-VALUE}).")
    Path dataRoot;

    @Option(
            names = "--port-offset",
            defaultValue = "0",
            paramLabel = "N",
            description = "Added to every default port (Kafka 9092/9093, trainer 9081/8081, inference 9082/8082, "
                    + "eval 9083/8083), to run a second mesh beside the first.")
    int portOffset;

    @Option(
            names = "--port",
            paramLabel = "NAME=N",
            description = "One port: kafka, kafka-controller, trainer-grpc, trainer-http, inference-grpc, "
                    + "inference-http, eval-grpc, eval-http (repeatable; wins over --port-offset).")
    List<String> ports = new ArrayList<>();

    @Option(
            names = "--model",
            paramLabel = "NAME=DIR",
            description = "A model inference-service loads at start-up (repeatable; default: "
                    + "tiny-base=models/tiny-base of this repository).")
    List<String> models = new ArrayList<>();

    @Option(names = "--no-model", description = "Load no model at start-up (inference is then only live).")
    boolean noModel;

    @Option(
            names = "--property",
            paramLabel = "SERVICE:KEY=VALUE",
            description = "A configuration property of one service (kafka, trainer, inference, eval), e.g. "
                    + "eval:posemesh.eval.suite.passkey.trials=20 (repeatable).")
    List<String> properties = new ArrayList<>();

    @Option(
            names = {"--detach", "-d"},
            description = "Run the mesh in the background: return once it is ready; `pose status` shows it, "
                    + "`pose down` stops it; logs in DIR/logs/.")
    boolean detach;

    @Option(
            names = "--timeout",
            defaultValue = "300",
            paramLabel = "SECONDS",
            description = "How long each service may take to become ready (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    /** The background supervisor of --detach: service lines go to their log files only. */
    @Option(names = "--supervised", hidden = true)
    boolean supervised;

    @Override
    public Integer call() throws Exception {
        MeshSpec mesh = meshSpec();
        var out = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        if (detach) {
            MeshState s = MeshControl.detach(
                    mesh.dir(), supervisorCommand(mesh), Duration.ofSeconds((long) timeoutSeconds * 2 + 60));
            out.printf(
                    "mesh ready in %.0f s (in the background; logs in %s):%n",
                    (System.nanoTime() - t0) / 1e9, mesh.logs());
            MeshControl.printEndpoints(s, out);
            out.printf("`./pose status%s` shows it, `./pose down%s` stops it%n", meshDir.flag(), meshDir.flag());
            return 0;
        }
        // Ctrl-C or SIGTERM (./pose down) from here on stops the mesh: Mesh's own shutdown hook
        Mesh running = Mesh.start(mesh, supervised ? null : System.out);
        synchronized (System.out) {
            out.printf("mesh ready in %.0f s:%n", (System.nanoTime() - t0) / 1e9);
            MeshControl.printEndpoints(running.state(), out);
            out.println("Ctrl-C stops it (or `./pose down" + meshDir.flag() + "` from another terminal)");
            out.flush();
        }
        return running.awaitExit();
    }

    MeshSpec meshSpec() {
        Path repo = Repository.root();
        Map<String, Path> served = new LinkedHashMap<>();
        if (!noModel) {
            if (models.isEmpty()) {
                Path tiny = repo.resolve("models/tiny-base");
                if (Files.isDirectory(tiny)) {
                    served.put("tiny-base", tiny);
                }
            } else {
                served.putAll(ServeCommand.models(models));
            }
        } else if (!models.isEmpty()) {
            throw new PoseCommand.CliException("--no-model and --model exclude each other");
        }
        Map<String, Map<String, String>> props = new LinkedHashMap<>();
        for (String p : properties) {
            int colon = p.indexOf(':');
            int eq = p.indexOf('=');
            String service = colon < 0 ? "" : p.substring(0, colon);
            if (colon < 0 || eq < colon + 2 || !MeshSpec.SERVICES.contains(service)) {
                throw new PoseCommand.CliException("--property " + p
                        + ": expected SERVICE:KEY=VALUE with SERVICE one of " + String.join(", ", MeshSpec.SERVICES));
            }
            props.computeIfAbsent(service, s -> new LinkedHashMap<>())
                    .put(p.substring(colon + 1, eq), p.substring(eq + 1));
        }
        if (timeoutSeconds <= 0) {
            throw new PoseCommand.CliException("--timeout: must be > 0, got " + timeoutSeconds);
        }
        return new MeshSpec(
                repo,
                meshDir.dir,
                dataRoot,
                MeshPorts.of(portOffset, ports),
                served,
                props,
                Duration.ofSeconds(timeoutSeconds));
    }

    /** This same command in the foreground, with every setting spelled out, as the background supervisor. */
    List<String> supervisorCommand(MeshSpec mesh) {
        List<String> c = new ArrayList<>(Repository.javaCommand());
        c.addAll(List.of(
                "up",
                "--supervised",
                "--dir",
                mesh.dir().toString(),
                "--data-root",
                mesh.dataRoot().toString(),
                "--timeout",
                Integer.toString(timeoutSeconds)));
        for (String p : mesh.ports().asFlags()) {
            c.add("--port");
            c.add(p);
        }
        if (mesh.models().isEmpty()) {
            c.add("--no-model");
        }
        mesh.models().forEach((name, path) -> {
            c.add("--model");
            c.add(name + "=" + path);
        });
        mesh.properties()
                .forEach((service, kv) -> kv.forEach((k, v) -> {
                    c.add("--property");
                    c.add(service + ":" + k + "=" + v);
                }));
        return c;
    }
}
