package ai.posemesh.service.eval;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real inference-service for the tests: its packaged {@code quarkus-run.jar} (the reactor builds it first: eval-service
 * declares it as a test-scoped pom dependency) in a child JVM, started the way {@code ./pose serve} starts it (ports
 * and settings as system properties, DJL offline). As a test resource it only reserves a free gRPC port and points
 * eval-service at it; {@link #start()} brings the service up when a test says so (so a test can check that
 * evaluations wait for it), and a shutdown hook (or {@link #stop()}) ends it.
 */
public class InferenceProcess implements QuarkusTestResourceLifecycleManager {

    static final Path JAR = Path.of("../inference-service/target/quarkus-app/quarkus-run.jar")
            .toAbsolutePath()
            .normalize();
    private static final String PORT = "posemesh.test.inference.port";
    private static final String PID = "posemesh.test.inference.pid";

    @Override
    public Map<String, String> start() {
        return Map.of("posemesh.eval.inference.endpoint", "localhost:" + port());
    }

    @Override
    public void stop() {
        stopService();
    }

    /** The gRPC port the service will listen on (reserved once per JVM). */
    public static int port() {
        synchronized (System.class) {
            String p = System.getProperty(PORT);
            if (p == null) {
                p = String.valueOf(freePort());
                System.setProperty(PORT, p);
            }
            return Integer.parseInt(p);
        }
    }

    /** Starts the service (once per JVM); returns at once, the service answers a few seconds later. */
    public static void start(Path log) throws IOException {
        synchronized (System.class) {
            if (System.getProperty(PID) != null) {
                return;
            }
            if (!Files.isRegularFile(JAR)) {
                throw new IllegalStateException(JAR + ": not built; run the tests through the reactor (mvn -pl"
                        + " eval-service -am verify) so inference-service is packaged first");
            }
            List<String> c = new ArrayList<>();
            c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            c.add("-Xmx1g");
            c.add("-Dquarkus.grpc.server.port=" + port());
            c.add("-Dquarkus.http.port=" + freePort());
            c.add("-Dposemesh.inference.models=");
            c.add("-Dposemesh.inference.workers=1");
            c.add("-Dai.djl.offline=true");
            c.add("-DOPT_OUT_TRACKING=true");
            c.add("-Dquarkus.log.category.\"ai.djl.util.cuda.CudaUtils\".level=ERROR");
            c.add("-jar");
            c.add(JAR.toString());
            Files.createDirectories(log.getParent());
            ProcessBuilder pb = new ProcessBuilder(c)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .directory(new File("target"));
            pb.environment().put("OPT_OUT_TRACKING", "true");
            Process p = pb.start();
            System.setProperty(PID, String.valueOf(p.pid()));
            Runtime.getRuntime().addShutdownHook(new Thread(InferenceProcess::stopService, "test-inference-stop"));
        }
    }

    static void stopService() {
        String pid = System.getProperty(PID);
        if (pid == null) {
            return;
        }
        ProcessHandle.of(Long.parseLong(pid)).ifPresent(h -> {
            h.destroy();
            try {
                h.onExit().get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        });
        System.clearProperty(PID);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
