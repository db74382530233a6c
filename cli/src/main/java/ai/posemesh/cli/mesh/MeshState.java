package ai.posemesh.cli.mesh;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code DIR/mesh.json}: what a supervisor started, for {@code ./pose status}, {@code ./pose down} and a detached
 * {@code ./pose up} waiting for readiness. Processes are named by pid and start time (epoch ms), so a pid the system
 * reused is never taken for a service.
 *
 * @param state starting, ready, stopping or failed
 * @param reason why, when failed
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MeshState(
        @JsonProperty("state") String state,
        @JsonProperty("reason") String reason,
        @JsonProperty("supervisor") Proc supervisor,
        @JsonProperty("dir") String dir,
        @JsonProperty("data_root") String dataRoot,
        @JsonProperty("services") List<Service> services) {

    public static final String FILE = "mesh.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A process: its pid and when it started. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Proc(
            @JsonProperty("pid") long pid,
            @JsonProperty("started_ms") long startedMs) {

        static Proc of(ProcessHandle h) {
            return new Proc(
                    h.pid(), h.info().startInstant().map(Instant::toEpochMilli).orElse(0L));
        }

        /** The process, when it still runs and is the one recorded (same start time, to the second). */
        public Optional<ProcessHandle> live() {
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> {
                long now = h.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
                return startedMs == 0 || now == 0 || Math.abs(now - startedMs) < 1000;
            });
        }
    }

    /**
     * @param endpoints what a user talks to, by kind ({@code grpc}, {@code http}, {@code bootstrap}, {@code reports})
     * @param ready how readiness is asked: an http:// URL, or {@code tcp:HOST:PORT}
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Service(
            @JsonProperty("name") String name,
            @JsonProperty("process") Proc process,
            @JsonProperty("log") String log,
            @JsonProperty("endpoints") Map<String, String> endpoints,
            @JsonProperty("ready") String ready) {}

    MeshState with(String newState, String newReason) {
        return new MeshState(newState, newReason, supervisor, dir, dataRoot, services);
    }

    public static Path file(Path dir) {
        return dir.resolve(FILE);
    }

    public static Optional<MeshState> read(Path dir) {
        Path f = file(dir);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(f.toFile(), MeshState.class));
        } catch (IOException e) {
            throw new MeshException(f + ": unreadable (" + e.getMessage() + "); remove it if no mesh runs", 2);
        }
    }

    /** Written to a temporary file and moved into place, so a reader never sees half of it. */
    void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path tmp = dir.resolve(FILE + ".tmp");
        JSON.writeValue(tmp.toFile(), this);
        Files.move(tmp, file(dir), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static void delete(Path dir) throws IOException {
        Files.deleteIfExists(file(dir));
    }

    /** Processes of this state that still run: the supervisor, then the services. */
    public List<ProcessHandle> liveProcesses() {
        List<ProcessHandle> live = new java.util.ArrayList<>();
        if (supervisor != null) {
            supervisor.live().ifPresent(live::add);
        }
        for (Service s : services) {
            if (s.process() != null) {
                s.process().live().ifPresent(live::add);
            }
        }
        return live;
    }
}
