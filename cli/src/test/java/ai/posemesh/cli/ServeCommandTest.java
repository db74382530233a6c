package ai.posemesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.cli.PoseCommandTest.Run;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pose serve}: model checks, where the service's jar is, and the child JVM it starts (a stand-in jar). */
class ServeCommandTest {

    @TempDir
    Path tmp;

    private Path model(String name) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("config.json"), "{}");
        return dir;
    }

    @Test
    void modelsAreCheckedBeforeAnythingStarts() throws Exception {
        Path a = model("alpha");
        Path b = model("beta");
        Map<String, Path> m = ServeCommand.models(List.of(a.toString(), "long=" + b));
        assertEquals(List.of("alpha", "long"), List.copyOf(m.keySet()), "directory name, or NAME=DIR; in order");
        assertEquals(b.toAbsolutePath().normalize(), m.get("long"));

        Path missing = tmp.resolve("missing");
        PoseCommandTest.assertError(
                PoseCommandTest.run("serve", "--model", missing.toString()),
                "--model: " + missing.toAbsolutePath() + ": no such directory");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        PoseCommandTest.assertError(
                PoseCommandTest.run("serve", "--model", a.toString(), "--model", empty.toString()),
                empty.resolve("config.json").toAbsolutePath().toString(),
                "file not found");
        PoseCommandTest.assertError(
                PoseCommandTest.run("serve", "--model", a.toString(), "--model", "alpha=" + b),
                "two models named 'alpha'");
        PoseCommandTest.assertError(PoseCommandTest.run("serve", "--model", "=" + a), "name '' must be non-empty");
        Run none = PoseCommandTest.run("serve");
        assertEquals(2, none.code());
        assertTrue(none.err().contains("--model"), none.err());
        Run port = PoseCommandTest.run("serve", "--model", a.toString(), "--grpc-port", "70000");
        assertEquals(2, port.code());
        assertTrue(port.err().contains("--grpc-port"), port.err());
        Run same = PoseCommandTest.run("serve", "--model", a.toString(), "--grpc-port", "9000", "--http-port", "9000");
        assertEquals(2, same.code());
        assertTrue(same.err().contains("must differ"), same.err());
    }

    @Test
    void theServiceJarIsFoundNextToTheCli() throws Exception {
        Path repo = tmp.resolve("repo");
        Path cliJar = Files.createDirectories(repo.resolve("cli/target")).resolve("pose.jar");
        var e = assertThrows(PoseCommand.CliException.class, () -> ServeCommand.serviceJar(null, cliJar));
        assertTrue(e.getMessage().contains(repo.resolve(ServeCommand.SERVICE_JAR) + ": not built"), e.getMessage());
        assertEquals(1, e.exitCode);
        Path jar = repo.resolve(ServeCommand.SERVICE_JAR);
        Files.createDirectories(jar.getParent());
        Files.writeString(jar, "");
        assertEquals(jar, ServeCommand.serviceJar(null, cliJar));
        assertEquals(jar, ServeCommand.serviceJar("", repo.resolve("cli/target/classes")), "run from a build");
        var env = assertThrows(PoseCommand.CliException.class, () -> ServeCommand.serviceJar("/no/such.jar", cliJar));
        assertTrue(env.getMessage().startsWith("POSEMESH_INFERENCE_JAR=/no/such.jar: file not found"));
    }

    @Test
    void startsTheServiceInAChildJvmAndExitsWithItsStatus() throws Exception {
        Path a = model("alpha");
        Path b = model("beta");
        Path jar = fakeService();
        System.setProperty(ServeCommand.JAR_PROPERTY, jar.toString());
        try {
            Run r = PoseCommandTest.run(
                    "serve",
                    "--model",
                    a.toString(),
                    "--model",
                    "b=" + b,
                    "--grpc-port",
                    "19999",
                    "--http-port",
                    "18888",
                    "--token-budget",
                    "100000",
                    "--prefill-chunk",
                    "512");
            assertEquals(3, r.code(), "the service's exit status: " + r.err());
            assertTrue(r.err().contains("serving alpha, b on gRPC :19999, HTTP :18888"), r.err());
        } finally {
            System.clearProperty(ServeCommand.JAR_PROPERTY);
        }
        List<String> seen = Files.readAllLines(jar.resolveSibling("seen.txt"));
        assertEquals(
                List.of(
                        "quarkus.grpc.server.port=19999",
                        "quarkus.http.port=18888",
                        "posemesh.inference.models=alpha=" + a.toAbsolutePath() + ",b=" + b.toAbsolutePath(),
                        "posemesh.inference.token-budget=100000",
                        "posemesh.inference.prefill-chunk=512",
                        "ai.djl.offline=true",
                        "env OPT_OUT_TRACKING=true",
                        "java.home=" + System.getProperty("java.home")),
                seen);
    }

    /** A jar whose main writes the properties it was given next to itself and exits 3. */
    private Path fakeService() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src")).resolve("FakeService.java");
        Files.writeString(src, """
                import java.nio.file.*;
                public class FakeService {
                    public static void main(String[] args) throws Exception {
                        Path jar = Path.of(FakeService.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                        StringBuilder b = new StringBuilder();
                        for (String k : new String[] {"quarkus.grpc.server.port", "quarkus.http.port",
                                "posemesh.inference.models", "posemesh.inference.token-budget",
                                "posemesh.inference.prefill-chunk", "ai.djl.offline"}) {
                            b.append(k).append('=').append(System.getProperty(k)).append('\\n');
                        }
                        b.append("env OPT_OUT_TRACKING=").append(System.getenv("OPT_OUT_TRACKING")).append('\\n');
                        b.append("java.home=").append(System.getProperty("java.home")).append('\\n');
                        Files.writeString(jar.resolveSibling("seen.txt"), b);
                        System.exit(3);
                    }
                }
                """);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        assertEquals(0, javac.run(null, null, null, "-d", classes.toString(), src.toString()));
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "FakeService");
        Path jar = Files.createDirectories(tmp.resolve("svc")).resolve("quarkus-run.jar");
        try (OutputStream os = Files.newOutputStream(jar);
                JarOutputStream j = new JarOutputStream(os, mf)) {
            j.putNextEntry(new JarEntry("FakeService.class"));
            j.write(Files.readAllBytes(classes.resolve("FakeService.class")));
            j.closeEntry();
        }
        return jar;
    }
}
