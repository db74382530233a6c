package ai.posemesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.cli.PoseCommandTest.Run;
import ai.posemesh.cli.mesh.MeshException;
import ai.posemesh.cli.mesh.MeshPorts;
import ai.posemesh.cli.mesh.MeshSpec;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code pose up}, {@code down}, {@code status} without starting a mesh: ports, the checks made before anything
 * starts, the background supervisor's command line, and a folder with no mesh or a dead one. The mesh itself runs in
 * e2e/'s MeshEndToEndTest.
 */
class MeshCommandsTest {

    @TempDir
    Path tmp;

    @Test
    void portsComeFromDefaultsOffsetAndOverrides() {
        MeshPorts p = MeshPorts.of(100, List.of("eval-http=18888"));
        assertEquals(9192, p.get("kafka"));
        assertEquals(9181, p.get("trainer-grpc"));
        assertEquals(18888, p.get("eval-http"));
        assertEquals(MeshPorts.DEFAULTS.keySet(), p.ports().keySet());
        assertEquals(List.copyOf(p.ports().keySet()).indexOf("kafka"), 0, "Kafka first");

        assertTrue(assertThrows(MeshException.class, () -> MeshPorts.of(0, List.of("nope=1")))
                .getMessage()
                .contains("NAME one of kafka, kafka-controller"));
        assertTrue(assertThrows(MeshException.class, () -> MeshPorts.of(0, List.of("kafka=x")))
                .getMessage()
                .contains("--port kafka=x: not a number"));
        MeshException same = assertThrows(MeshException.class, () -> MeshPorts.of(0, List.of("eval-grpc=9092")));
        assertTrue(same.getMessage().contains("kafka and eval-grpc would both use port 9092"), same.getMessage());
        assertTrue(assertThrows(MeshException.class, () -> MeshPorts.of(60000, List.of()))
                .getMessage()
                .contains("outside 1..65535"));
    }

    @Test
    void aPortInUseIsRefusedBeforeAnythingStarts() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Path dir = tmp.resolve("mesh");
            Run r = PoseCommandTest.run(
                    "up", "--dir", dir.toString(), "--port-offset", "30000", "--port", "trainer-grpc=" + port);
            PoseCommandTest.assertError(
                    r, "port " + port + " (trainer-grpc) is in use on 127.0.0.1", "--port trainer-grpc=N");
            assertFalse(Files.exists(dir.resolve("mesh.json")), "nothing started, nothing recorded");
        }
    }

    @Test
    void badFlagsNameTheFlag() {
        PoseCommandTest.assertError(
                PoseCommandTest.run("up", "--dir", tmp.toString(), "--property", "nope:a=b"),
                "--property nope:a=b: expected SERVICE:KEY=VALUE");
        PoseCommandTest.assertError(
                PoseCommandTest.run("up", "--dir", tmp.toString(), "--no-model", "--model", "x=" + tmp),
                "--no-model and --model exclude each other");
        PoseCommandTest.assertError(
                PoseCommandTest.run(
                        "up",
                        "--dir",
                        tmp.toString(),
                        "--model",
                        tmp.resolve("none").toString()),
                "no such directory");
    }

    @Test
    void theBackgroundSupervisorGetsEverySettingSpelledOut() throws Exception {
        Path model = Files.createDirectories(tmp.resolve("m"));
        Files.writeString(model.resolve("config.json"), "{}");
        UpCommand up = parse(
                "--dir", tmp.resolve("mesh").toString(),
                "--data-root", tmp.resolve("data").toString(),
                "--port-offset", "7",
                "--port", "eval-http=18999",
                "--model", "m=" + model,
                "--property", "eval:posemesh.eval.suite.passkey.trials=3",
                "--property", "trainer:posemesh.trainer.progress-interval=1s",
                "--timeout", "42");
        MeshSpec spec = up.meshSpec();
        List<String> command = up.supervisorCommand(spec);
        int at = command.indexOf("up");
        assertTrue(at > 0 && command.get(at - 1).equals(PoseCommand.class.getName()), command.toString());
        assertTrue(command.contains("--supervised"));
        UpCommand again = parse(command.subList(at + 1, command.size()).toArray(String[]::new));
        MeshSpec respec = again.meshSpec();
        assertEquals(spec.dir(), respec.dir());
        assertEquals(spec.dataRoot(), respec.dataRoot());
        assertEquals(spec.ports(), respec.ports());
        assertEquals(Map.of("m", model.toAbsolutePath().normalize()), respec.models());
        assertEquals(spec.properties(), respec.properties());
        assertEquals("3", respec.properties().get("eval").get("posemesh.eval.suite.passkey.trials"));
        assertEquals(42, respec.readyTimeout().toSeconds());
        assertTrue(again.supervised);
    }

    @Test
    void statusAndDownOfAFolderWithoutAMesh() throws Exception {
        Run status = PoseCommandTest.run("status", "--dir", tmp.toString());
        assertEquals(StatusCommand.EXIT_NOT_RUNNING, status.code(), status.err());
        assertTrue(status.out().contains("no mesh runs in " + tmp), status.out());
        Run json = PoseCommandTest.run("status", "--dir", tmp.toString(), "--json");
        assertEquals(StatusCommand.EXIT_NOT_RUNNING, json.code());
        assertTrue(json.out().contains("\"state\" : \"none\""), json.out());
        assertTrue(json.out().contains("\"running\" : false"), json.out());
        Run down = PoseCommandTest.run("down", "--dir", tmp.toString());
        assertEquals(0, down.code(), down.err());
        assertTrue(down.out().contains("no mesh in " + tmp), down.out());
    }

    @Test
    void aMeshWhoseProcessesAreGoneIsNotRunningAndDownClearsIt() throws Exception {
        // a supervisor and a service that both ended (this test's own child processes, waited for)
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        long pid = gone.pid();
        Files.writeString(
                tmp.resolve("mesh.json"),
                "{\"state\":\"ready\",\"reason\":\"\",\"supervisor\":{\"pid\":" + pid + ",\"started_ms\":1},"
                        + "\"dir\":\"" + tmp + "\",\"data_root\":\"" + tmp + "\",\"services\":[{\"name\":\"kafka\","
                        + "\"process\":{\"pid\":" + pid + ",\"started_ms\":1},\"log\":\"k.log\",\"endpoints\":"
                        + "{\"bootstrap\":\"127.0.0.1:1\"},\"ready\":\"tcp:127.0.0.1:1\"}]}");
        Run status = PoseCommandTest.run("status", "--dir", tmp.toString());
        assertEquals(StatusCommand.EXIT_NOT_RUNNING, status.code(), status.out() + status.err());
        assertTrue(status.out().contains("its processes are gone"), status.out());
        Run down = PoseCommandTest.run("down", "--dir", tmp.toString());
        assertEquals(0, down.code(), down.err());
        assertTrue(down.out().contains("stopped: kafka"), down.out());
        assertFalse(Files.exists(tmp.resolve("mesh.json")), "down clears the state");
    }

    @Test
    void aSecondMeshInTheSameFolderIsRefused() throws Exception {
        // a supervisor that runs: this test's own JVM, recorded as mesh.json records one
        ProcessHandle me = ProcessHandle.current();
        long started = me.info().startInstant().orElseThrow().toEpochMilli();
        Files.writeString(
                tmp.resolve("mesh.json"),
                "{\"state\":\"ready\",\"reason\":\"\",\"supervisor\":{\"pid\":" + me.pid() + ",\"started_ms\":"
                        + started + "},\"dir\":\"" + tmp + "\",\"data_root\":\"" + tmp + "\",\"services\":[]}");
        Run r = PoseCommandTest.run("up", "--dir", tmp.toString(), "--port-offset", "30100");
        PoseCommandTest.assertError(
                r,
                "a mesh already runs in " + tmp.toAbsolutePath().normalize() + " (supervisor pid " + me.pid(),
                "./pose down --dir " + tmp.toAbsolutePath().normalize());
        assertTrue(Files.exists(tmp.resolve("mesh.json")), "the running mesh's state is left alone");
    }

    @Test
    void aBrokenStateFileIsAClearError() throws Exception {
        Files.writeString(tmp.resolve("mesh.json"), "{not json");
        PoseCommandTest.assertError(
                PoseCommandTest.run("status", "--dir", tmp.toString()), tmp.resolve("mesh.json") + ": unreadable");
    }

    private static UpCommand parse(String... args) {
        UpCommand up = new UpCommand();
        new CommandLine(up).parseArgs(args);
        return up;
    }
}
