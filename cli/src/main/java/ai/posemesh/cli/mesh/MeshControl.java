package ai.posemesh.cli.mesh;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A mesh seen from outside its supervisor, through {@code DIR/mesh.json}: start one in the background and wait until
 * it is ready ({@code ./pose up --detach}), stop one and everything it started ({@code ./pose down}), ask how it is
 * ({@code ./pose status}).
 */
public final class MeshControl {

    private MeshControl() {}

    /** A mesh whose supervisor still runs in {@code dir} is a {@link MeshException}; leftovers are cleaned up. */
    static void refuseRunning(Path dir) throws InterruptedException {
        Optional<MeshState> s = MeshState.read(dir);
        if (s.isEmpty()) {
            return;
        }
        if (s.get().supervisor() != null && s.get().supervisor().live().isPresent()) {
            throw new MeshException(
                    "a mesh already runs in " + dir + " (supervisor pid "
                            + s.get().supervisor().pid() + ", " + s.get().state()
                            + "): see `./pose status --dir " + dir + "`, stop it with `./pose down --dir " + dir
                            + "`",
                    2);
        }
        // a supervisor killed without its shutdown (SIGKILL) leaves its services: stop them before starting anew
        stopAll(s.get().liveProcesses(), Duration.ofSeconds(30));
    }

    /**
     * Runs {@code supervisorCommand} (a {@code ./pose up} in the foreground, same flags) in its own session with its
     * output in {@code DIR/logs/mesh.log}, then waits until its mesh.json says ready. A supervisor that fails or exits
     * is a {@link MeshException} with its reason and log (exit 1).
     *
     * @return the ready state
     */
    public static MeshState detach(Path dir, List<String> supervisorCommand, Duration timeout)
            throws IOException, InterruptedException {
        refuseRunning(dir);
        Path log = dir.resolve("logs").resolve("mesh.log");
        Files.createDirectories(log.getParent());
        Files.deleteIfExists(MeshState.file(dir));
        ProcessBuilder pb = ServiceProcess.inOwnSession(supervisorCommand)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("OPT_OUT_TRACKING", "true");
        Process supervisor = pb.start();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<MeshState> s = readQuietly(dir);
            boolean ours = s.isPresent()
                    && s.get().supervisor() != null
                    && s.get().supervisor().pid() == supervisor.pid();
            if (ours && s.get().state().equals("ready")) {
                return s.get();
            }
            if (ours && s.get().state().equals("failed")) {
                supervisor.waitFor(60, TimeUnit.SECONDS);
                throw new MeshException(
                        "the mesh did not start: " + s.get().reason() + "\n(supervisor log: " + log + ")", 1);
            }
            if (!supervisor.isAlive()) {
                throw new MeshException(
                        "the mesh's supervisor exited with status " + supervisor.exitValue() + " before it was ready; "
                                + "its log " + log + " ends:\n" + tail(log, 20),
                        supervisor.exitValue() == 2 ? 2 : 1);
            }
            if (System.nanoTime() > deadline) {
                supervisor.destroy();
                supervisor.waitFor(90, TimeUnit.SECONDS);
                throw new MeshException(
                        "the mesh was not ready after " + timeout.toSeconds() + " s; stopped it. Its log " + log
                                + " ends:\n" + tail(log, 20),
                        1);
            }
            Thread.sleep(250);
        }
    }

    /**
     * Stops the mesh of {@code dir}: SIGTERM to its supervisor (which stops the services in order), then SIGTERM and
     * at last SIGKILL to any service still running. Returns what it said; prints nothing itself.
     */
    public static List<String> down(Path dir, Duration timeout) throws InterruptedException, IOException {
        Optional<MeshState> s = MeshState.read(dir);
        List<String> said = new ArrayList<>();
        if (s.isEmpty()) {
            said.add("no mesh in " + dir);
            return said;
        }
        MeshState state = s.get();
        Optional<ProcessHandle> sup = state.supervisor() == null
                ? Optional.empty()
                : state.supervisor().live();
        if (sup.isPresent()) {
            said.add("stopping the mesh in " + dir + " (supervisor pid "
                    + sup.get().pid() + ")");
            sup.get().destroy();
            if (!exited(sup.get(), timeout)) {
                said.add("the supervisor did not stop within " + timeout.toSeconds() + " s; killing it");
                sup.get().destroyForcibly();
                exited(sup.get(), Duration.ofSeconds(10));
            }
        }
        List<ProcessHandle> left = new ArrayList<>();
        for (MeshState.Service svc : state.services()) {
            if (svc.process() != null) {
                svc.process().live().ifPresent(h -> {
                    left.add(h);
                    said.add(svc.name() + " (pid " + h.pid() + ") still runs; stopping it");
                });
            }
        }
        stopAll(left, Duration.ofSeconds(30));
        MeshState.delete(dir);
        for (MeshState.Service svc : state.services()) {
            if (svc.process() != null && svc.process().live().isPresent()) {
                throw new MeshException(svc.name() + " (pid " + svc.process().pid() + ") could not be stopped", 1);
            }
        }
        said.add("stopped: "
                + String.join(
                        ", ",
                        state.services().stream().map(MeshState.Service::name).toList()));
        return said;
    }

    /** The mesh of {@code dir} as it is now, each service probed, or empty when none was started there. */
    public static Optional<Status> status(Path dir) {
        return MeshState.read(dir).map(s -> {
            boolean supervised = s.supervisor() != null && s.supervisor().live().isPresent();
            List<ServiceStatus> services = new ArrayList<>();
            for (MeshState.Service svc : s.services()) {
                boolean running = svc.process() != null && svc.process().live().isPresent();
                String health = !running ? "down" : Mesh.probe(svc.ready()) ? "ready" : "not ready";
                services.add(new ServiceStatus(svc, health));
            }
            return new Status(s, supervised, services);
        });
    }

    /** @param supervised whether the supervisor still runs */
    public record Status(MeshState state, boolean supervised, List<ServiceStatus> services) {
        /** Every service of the four is running and ready. */
        public boolean ready() {
            return supervised
                    && services.size() == MeshSpec.SERVICES.size()
                    && services.stream().allMatch(s -> s.health().equals("ready"));
        }

        public boolean anythingRuns() {
            return supervised || services.stream().anyMatch(s -> !s.health().equals("down"));
        }
    }

    /** @param health ready, not ready (running, not ready yet or degraded) or down */
    public record ServiceStatus(MeshState.Service service, String health) {}

    /** The endpoints a user talks to, one line per service. */
    public static void printEndpoints(MeshState state, PrintWriter out) {
        for (MeshState.Service s : state.services()) {
            List<String> parts = new ArrayList<>();
            s.endpoints().forEach((kind, where) -> parts.add(kind + " " + where));
            out.printf("  %-9s %s%n", s.name(), String.join(", ", parts));
        }
        out.flush();
    }

    private static void stopAll(List<ProcessHandle> processes, Duration grace) {
        processes.forEach(ProcessHandle::destroy);
        for (ProcessHandle h : processes) {
            if (!exited(h, grace)) {
                h.destroyForcibly();
                exited(h, Duration.ofSeconds(10));
            }
        }
    }

    /** Waits up to {@code d} for {@code h} to end; whether it did. */
    private static boolean exited(ProcessHandle h, Duration d) {
        try {
            h.onExit().get(d.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return !h.isAlive();
        } catch (ExecutionException e) {
            return !h.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !h.isAlive();
        }
    }

    private static Optional<MeshState> readQuietly(Path dir) {
        try {
            return MeshState.read(dir);
        } catch (MeshException e) {
            return Optional.empty(); // being written
        }
    }

    private static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}
