package ai.posemesh.cli.mesh;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One process of the mesh: started in a session of its own ({@code setsid}), so a Ctrl-C on the terminal reaches
 * only the supervisor, which stops the services in order. Its stdout and stderr go, line by line, to its log file and
 * (when the supervisor runs in the foreground) to the console behind a {@code name |} prefix.
 */
final class ServiceProcess {

    private static final Path SETSID = Path.of("/usr/bin/setsid");
    private static final int TAIL_LINES = 30;

    final String name;
    private final List<String> command;
    private final Map<String, String> env;
    private final Path log;
    private final String readyLine;
    private final Deque<String> tail = new ArrayDeque<>();
    private volatile boolean sawReadyLine;
    private Process process;
    private Thread pump;

    /**
     * @param readyLine a line prefix the process prints once it serves (the broker's), or null when readiness is
     *     asked over HTTP
     */
    ServiceProcess(String name, List<String> command, Map<String, String> env, Path log, String readyLine) {
        this.name = name;
        this.command = List.copyOf(command);
        this.env = Map.copyOf(env);
        this.log = log;
        this.readyLine = readyLine;
    }

    /**
     * {@code command} in a session of its own ({@code setsid}, where the system has it), stdin from /dev/null, stderr
     * merged into stdout: how every process of the mesh, the background supervisor too, is started.
     */
    static ProcessBuilder inOwnSession(List<String> command) {
        List<String> argv = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            argv.add(SETSID.toString());
        }
        argv.addAll(command);
        return new ProcessBuilder(argv)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    }

    void start(PrintStream console, int prefixWidth) throws IOException {
        ProcessBuilder pb = inOwnSession(command);
        pb.environment().putAll(env);
        Files.createDirectories(log.getParent());
        process = pb.start();
        Writer file = Files.newBufferedWriter(
                log, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        String prefix = String.format("%-" + prefixWidth + "s | ", name);
        pump = new Thread(() -> pump(file, console, prefix), "mesh-log-" + name);
        pump.setDaemon(true);
        pump.start();
    }

    private void pump(Writer file, PrintStream console, String prefix) {
        try (file;
                BufferedReader r =
                        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (readyLine != null && line.startsWith(readyLine)) {
                    sawReadyLine = true;
                }
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > TAIL_LINES) {
                        tail.removeFirst();
                    }
                }
                file.write(line);
                file.write('\n');
                file.flush();
                if (console != null) {
                    synchronized (console) {
                        console.println(prefix + line);
                    }
                }
            }
        } catch (IOException e) {
            // the process is gone; what it wrote is in the file
        }
    }

    long pid() {
        return process.pid();
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    int exitCode() {
        return process.exitValue();
    }

    boolean sawReadyLine() {
        return sawReadyLine;
    }

    Path log() {
        return log;
    }

    /** The last lines it printed, for an error message. */
    String tail() {
        synchronized (tail) {
            return String.join("\n", tail);
        }
    }

    /**
     * SIGTERM (a graceful shutdown), then SIGKILL once {@code grace} has passed; waits for its output to drain. The
     * signals go through the process handle: {@code Process.destroy} would also close the output pipe, and what the
     * service prints while it shuts down would be lost.
     */
    void stop(Duration grace) throws InterruptedException {
        if (process == null) {
            return;
        }
        if (process.isAlive()) {
            process.toHandle().destroy();
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.toHandle().destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        pump.join(5000);
    }
}
