package ai.posemesh.cli.mesh;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The supervisor of one mesh: the embedded Kafka broker and the three services as child processes on loopback,
 * started in two waves (Kafka and inference-service, then trainer- and eval-service, which need them), each waited
 * for until it is ready; stopped in the reverse order. Its state is in {@code DIR/mesh.json} ({@link MeshState}).
 *
 * <p>{@link #start} returns once every service is ready; {@link #awaitExit} blocks until {@link #close} is called
 * (Ctrl-C, {@code ./pose down}: a shutdown hook stops the mesh, also while it starts) or a service exits by itself,
 * which stops the others.
 */
public final class Mesh implements AutoCloseable {

    /** The line the broker prints once it serves ({@code ai.posemesh.broker.Broker.READY}). */
    static final String BROKER_READY = "posemesh broker ready";

    private static final Duration STOP_GRACE = Duration.ofSeconds(30);
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final MeshSpec spec;
    private final PrintStream console;
    private final List<ServiceProcess> started = new ArrayList<>();
    /** Stops what was started when the JVM ends first (Ctrl-C, SIGTERM), also while the mesh is still starting. */
    private final Thread onExit = new Thread(this::stopOnExit, "mesh-stop");

    private final Map<String, MeshState.Service> services = new LinkedHashMap<>();
    private MeshState state;
    private boolean closed;
    private String exited;

    private Mesh(MeshSpec spec, PrintStream console) {
        this.spec = spec;
        this.console = console;
    }

    /**
     * Starts the mesh of {@code spec} and returns once every service is ready. Service output goes to its log file
     * and, when {@code console} is not null, to the console behind a {@code name |} prefix. A port in use, a missing
     * app or corpus, or a mesh already running in the folder is a {@link MeshException} before anything starts (in that order); a
     * service that fails to become ready stops the others and is a {@link MeshException} (exit 1) with its log's
     * last lines.
     */
    public static Mesh start(MeshSpec spec, PrintStream console) throws IOException, InterruptedException {
        MeshControl.refuseRunning(spec.dir());
        spec.ports().checkFree();
        spec.checkFiles();
        Mesh mesh = new Mesh(spec, console);
        Runtime.getRuntime().addShutdownHook(mesh.onExit);
        try {
            mesh.startAll();
        } catch (IOException | RuntimeException e) {
            mesh.fail(e.getMessage());
            throw e;
        } catch (InterruptedException e) {
            mesh.fail("interrupted while starting");
            throw e;
        }
        return mesh;
    }

    private void startAll() throws IOException, InterruptedException {
        for (Path d : List.of(spec.logs(), spec.checkpoints(), spec.reports(), spec.kafkaDir(), spec.dataRoot())) {
            Files.createDirectories(d);
        }
        state = new MeshState(
                "starting",
                "",
                MeshState.Proc.of(ProcessHandle.current()),
                spec.dir().toString(),
                spec.dataRoot().toString(),
                List.of());
        state.write(spec.dir());
        List<ServiceProcess> wave = new ArrayList<>();
        for (String name : MeshSpec.SERVICES) {
            if (name.equals(MeshSpec.TRAINER)) { // Kafka and inference first: the others wait for them
                awaitReady(wave);
                wave.clear();
            }
            wave.add(launch(name));
        }
        awaitReady(wave);
        state = new MeshState(
                "ready", "", state.supervisor(), state.dir(), state.dataRoot(), List.copyOf(services.values()));
        state.write(spec.dir());
    }

    private ServiceProcess launch(String name) throws IOException {
        Services.Launch l = Services.launch(spec, name);
        ServiceProcess p = new ServiceProcess(
                name,
                l.command(),
                l.env(),
                spec.logs().resolve(name + ".log"),
                name.equals(MeshSpec.KAFKA) ? BROKER_READY : null);
        say("starting %s (log: %s)", name, p.log());
        synchronized (this) { // a stop that began meanwhile sees every process started, or none is started
            if (closed) {
                throw new MeshException("the mesh was stopped while it was starting", 1);
            }
            p.start(console, Services.NAME_WIDTH);
            started.add(p);
        }
        services.put(
                name,
                new MeshState.Service(
                        name, MeshState.Proc.of(p.handle()), p.log().toString(), l.endpoints(), l.ready()));
        state = new MeshState(
                state.state(), "", state.supervisor(), state.dir(), state.dataRoot(), List.copyOf(services.values()));
        state.write(spec.dir());
        return p;
    }

    private void awaitReady(List<ServiceProcess> wave) throws InterruptedException {
        long deadline = System.nanoTime() + spec.readyTimeout().toNanos();
        List<ServiceProcess> waiting = new ArrayList<>(wave);
        while (!waiting.isEmpty()) {
            for (var it = waiting.iterator(); it.hasNext(); ) {
                ServiceProcess p = it.next();
                if (isClosed()) { // Ctrl-C: the hook stops what runs
                    throw new MeshException("the mesh was stopped while it was starting", 1);
                }
                if (!p.alive()) {
                    throw new MeshException(
                            p.name + " exited with status " + p.exitCode() + " while starting; its last lines ("
                                    + p.log() + "):\n" + p.tail(),
                            1);
                }
                if (ready(p)) {
                    say("%s is ready", p.name);
                    it.remove();
                }
            }
            if (!waiting.isEmpty() && System.nanoTime() > deadline) {
                ServiceProcess p = waiting.get(0);
                throw new MeshException(
                        p.name + " was not ready after " + spec.readyTimeout().toSeconds() + " s ("
                                + services.get(p.name).ready() + "); its last lines (" + p.log() + "):\n" + p.tail(),
                        1);
            }
            Thread.sleep(250);
        }
    }

    private boolean ready(ServiceProcess p) {
        if (p.name.equals(MeshSpec.KAFKA)) {
            return p.sawReadyLine();
        }
        return probe(services.get(p.name).ready());
    }

    /** Whether a readiness URL answers 200 (http://…), or a port accepts a connection ({@code tcp:HOST:PORT}). */
    static boolean probe(String ready) {
        try {
            if (ready.startsWith("tcp:")) {
                String[] hp = ready.substring(4).split(":");
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 2000);
                    return true;
                }
            }
            HttpResponse<Void> r = HTTP.send(
                    HttpRequest.newBuilder(URI.create(ready))
                            .timeout(Duration.ofSeconds(5))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The services' endpoints, in start order. */
    public Map<String, MeshState.Service> services() {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(services));
    }

    public MeshState state() {
        return state;
    }

    /**
     * Blocks until {@link #close} is called or a service exits by itself; returns 0 after a close, 1 when a service
     * died (the others are stopped then).
     */
    public int awaitExit() throws InterruptedException {
        while (true) {
            synchronized (this) {
                if (closed) {
                    return exited == null ? 0 : 1;
                }
            }
            for (ServiceProcess p : startedSoFar()) {
                if (!p.alive() && !isClosed()) {
                    synchronized (this) {
                        exited = p.name;
                    }
                    say("%s exited with status %d; stopping the mesh (its log: %s)", p.name, p.exitCode(), p.log());
                    close();
                    return 1;
                }
            }
            Thread.sleep(500);
        }
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    private synchronized List<ServiceProcess> startedSoFar() {
        return List.copyOf(started);
    }

    /** Stops every service, the last started first, each gracefully and then by force after 30 s. */
    @Override
    public void close() throws InterruptedException {
        List<ServiceProcess> toStop;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toStop = List.copyOf(started);
        }
        try {
            if (state != null) {
                state.with("stopping", "").write(spec.dir());
            }
        } catch (IOException e) {
            // stopping matters more than the state file
        }
        stopInReverse(toStop);
        try {
            MeshState.delete(spec.dir());
        } catch (IOException e) {
            // a stale file names processes that are gone: status and down see that
        }
        say("stopped");
        removeHook();
    }

    /** The last started first, each gracefully and then by force after {@link #STOP_GRACE}. */
    private void stopInReverse(List<ServiceProcess> processes) throws InterruptedException {
        for (int i = processes.size() - 1; i >= 0; i--) {
            ServiceProcess p = processes.get(i);
            if (p.alive()) {
                say("stopping %s", p.name);
            }
            p.stop(STOP_GRACE);
        }
    }

    private void stopOnExit() {
        try {
            close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void removeHook() {
        if (Thread.currentThread() == onExit) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(onExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs (or ran) close() itself
        }
    }

    private void fail(String reason) throws InterruptedException {
        List<ServiceProcess> toStop;
        synchronized (this) {
            if (closed) {
                return; // a stop (Ctrl-C) came first, and is what ended the start: it cleans up
            }
            closed = true;
            toStop = List.copyOf(started);
        }
        stopInReverse(toStop);
        try {
            if (state != null) {
                state.with("failed", reason).write(spec.dir());
            }
        } catch (IOException e) {
            // the exception carries the reason too
        }
        removeHook();
    }

    private void say(String format, Object... args) {
        PrintStream out = console != null ? console : System.out;
        synchronized (out) {
            out.printf("%-" + Services.NAME_WIDTH + "s | " + format + "%n", prepend("mesh", args));
        }
    }

    private static Object[] prepend(Object first, Object[] rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
