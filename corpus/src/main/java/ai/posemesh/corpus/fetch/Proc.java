package ai.posemesh.corpus.fetch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an external program with a time limit; its output goes to files, never to a pipe that could fill. */
final class Proc {

    /** Exit status (-1 = timed out) and what the program printed (stderr, and stdout when not redirected). */
    record Result(int exit, String output) {

        /** The lines that say what went wrong ("E: ...", "npm error ..."), else the last line printed. */
        String summary() {
            List<String> errors = new ArrayList<>();
            String last = "";
            for (String l : output.split("\n")) {
                String t = l.strip();
                if (t.isEmpty()) {
                    continue;
                }
                last = t;
                if (t.startsWith("E:")
                        || t.startsWith("npm error")
                        || t.startsWith("npm ERR!")
                        || t.startsWith("dpkg-deb: error")) {
                    errors.add(t);
                }
            }
            String s = errors.isEmpty() ? last : String.join("; ", errors.subList(0, Math.min(3, errors.size())));
            if (s.isEmpty()) {
                s = "(no output)";
            }
            return s.length() > 400 ? s.substring(0, 400) + "..." : s;
        }
    }

    private Proc() {}

    /**
     * Runs {@code command} in {@code cwd} (null: the current directory). With {@code stdout} non-null, standard
     * output is written there and {@link Result#output()} holds standard error only.
     *
     * @throws IOException when the program cannot be started (not installed)
     */
    static Result run(List<String> command, Path cwd, Path stdout, Duration timeout) throws IOException {
        Path log = Files.createTempFile("pose-proc", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(command);
            if (cwd != null) {
                pb.directory(cwd.toFile());
            }
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            if (stdout != null) {
                pb.redirectOutput(stdout.toFile());
                pb.redirectError(log.toFile());
            } else {
                pb.redirectErrorStream(true);
                pb.redirectOutput(log.toFile());
            }
            pb.environment().remove("COLUMNS");
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new IOException("cannot run " + command.get(0) + " (is it installed?): " + e.getMessage(), e);
            }
            boolean done;
            try {
                done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while running " + command.get(0), e);
            }
            if (!done) {
                p.destroyForcibly();
                return new Result(-1, "timed out after " + timeout.toSeconds() + " s\n" + read(log));
            }
            return new Result(p.exitValue(), read(log));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static String read(Path log) throws IOException {
        byte[] b = Files.readAllBytes(log);
        int from = Math.max(0, b.length - 16384);
        return new String(b, from, b.length - from, StandardCharsets.UTF_8);
    }
}
