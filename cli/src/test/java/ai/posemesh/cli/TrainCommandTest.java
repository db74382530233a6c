package ai.posemesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.cli.PoseCommandTest.Run;
import ai.posemesh.proto.trainer.v1.JobSpec;
import ai.posemesh.proto.trainer.v1.Method;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code pose train}: what --endpoint sends, and the errors that need no service. The remote path against a real
 * trainer-service is tested in trainer-service ({@code CliTrainTest}).
 */
class TrainCommandTest {

    @TempDir
    Path tmp;

    /** The JobSpec {@code pose train ARGS} would submit. */
    static JobSpec spec(String... args) {
        CommandLine.ParseResult parsed =
                PoseCommand.commandLine().parseArgs(args).subcommand();
        TrainCommand train = parsed.commandSpec().commandLine().getCommand();
        return train.jobSpec(parsed);
    }

    @Test
    void onlyTheFlagsGivenAreSentAndPathsAreAbsolute() {
        JobSpec s = spec(
                "train",
                "--endpoint",
                "h:1",
                "--base",
                "models/base",
                "--method",
                "randpos",
                "--train-len",
                "32",
                "--data",
                "general",
                "--steps",
                "5",
                "--seed",
                "42");
        assertEquals(Path.of("models/base").toAbsolutePath().normalize().toString(), s.getBase());
        assertEquals(Method.METHOD_RANDPOS, s.getMethod());
        assertEquals("general", s.getData(), "a corpus family is the service's");
        assertEquals(32, s.getTrainLen());
        assertEquals(32, s.getTargetLen(), "Lt defaults to Lc, as locally");
        assertEquals("linear", s.getRope(), "the API has no default rope: the CLI's is sent");
        assertTrue(s.hasSteps() && s.getSteps() == 5);
        assertTrue(s.hasSeed(), "given explicitly, even at its default value");
        assertFalse(
                s.hasLr()
                        || s.hasChunks()
                        || s.hasBatchSize()
                        || s.hasMicroBatch()
                        || s.hasWarmupSteps()
                        || s.hasClip()
                        || s.hasWeightDecay()
                        || s.hasCheckpointEvery()
                        || s.hasHeldOut()
                        || s.hasRetrievalFraction(),
                "unset: the service's defaults apply: " + s);
        assertEquals("", s.getOut(), "no --out: the service's checkpoint root/<job id>");
        assertEquals("", s.getSaveDtype());

        JobSpec t = spec(
                "train",
                "--endpoint",
                "h:1",
                "--data",
                "corpus/x.jsonl",
                "--out",
                "file:///data/run",
                "--target-len",
                "64",
                "--train-len",
                "16",
                "--lr",
                "1e-3",
                "--save-dtype",
                "bfloat16",
                "--retrieval-mix",
                "0.5",
                "--rope",
                "yarn");
        assertEquals(Path.of("corpus/x.jsonl").toAbsolutePath().normalize().toString(), t.getData());
        assertEquals("file:///data/run", t.getOut(), "a file:// URI is sent as given");
        assertEquals(64, t.getTargetLen());
        assertEquals(1e-3, t.getLr());
        assertEquals("bfloat16", t.getSaveDtype());
        assertEquals(0.5, t.getRetrievalFraction());
        assertEquals("yarn", t.getRope());
        assertEquals(Method.METHOD_UNSPECIFIED, t.getMethod(), "no --method: the service says it is required");
    }

    @Test
    void endpoints() {
        assertEquals("trainer:9081", RemoteTrain.target("trainer"));
        assertEquals("localhost:19081", RemoteTrain.target("localhost:19081"));
        assertEquals("[::1]:9081", RemoteTrain.target("[::1]"));
        assertEquals("dns:///trainer:9081", RemoteTrain.target("dns:///trainer:9081"));
        assertThrows(PoseCommand.CliException.class, () -> RemoteTrain.target("a:b"));
    }

    @Test
    void anUnreachableServiceIsExitOne() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // free again once closed: nothing listens there
        }
        Run r = PoseCommandTest.run(
                "train",
                "--endpoint",
                "localhost:" + port,
                "--base",
                "m",
                "--method",
                "pose",
                "--train-len",
                "32",
                "--data",
                "general");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("pose train: error: UNAVAILABLE: "), r.err());
        assertTrue(r.err().contains("localhost:" + port), r.err());
        assertFalse(r.out().contains("submitted"), r.out());
    }

    @Test
    void usageErrors() {
        Run missing = PoseCommandTest.run("train", "--base", "m", "--method", "pose");
        assertEquals(2, missing.code());
        assertTrue(
                missing.err().startsWith("Missing required options: '--train-len', '--data', '--out'"), missing.err());
        assertEquals(2, PoseCommandTest.run("train", "--job", "j").code(), "--job needs --endpoint");
        Run withFlags = PoseCommandTest.run("train", "--endpoint", "localhost:1", "--job", "j", "--steps", "3");
        assertEquals(2, withFlags.code());
        assertTrue(withFlags.err().contains("takes no job options, got --steps"), withFlags.err());
        Run dataRoot = PoseCommandTest.run("train", "--endpoint", "localhost:1", "--data-root", "x");
        assertEquals(2, dataRoot.code());
        assertTrue(dataRoot.err().startsWith("--data-root is for local training"), dataRoot.err());
        Run method = PoseCommandTest.run("train", "--endpoint", "localhost:1", "--method", "warp");
        assertEquals(2, method.code());
        assertTrue(method.err().startsWith("pose train: error: method: unknown method 'warp'"), method.err());
    }

    @Test
    void localTrainingStillRuns() throws Exception {
        Path model = tmp.resolve("m");
        assertEquals(
                0,
                PoseCommandTest.run(
                                "init-model",
                                "--out",
                                model.toString(),
                                "--layers",
                                "1",
                                "--hidden",
                                "32",
                                "--heads",
                                "2",
                                "--kv-heads",
                                "1",
                                "--max-pos",
                                "32",
                                "--rope-type",
                                "default")
                        .code());
        List<String> lines = new ArrayList<>();
        for (int d = 0; d < 8; d++) {
            lines.add("{\"id\":\"d" + d + "\",\"text\":\"" + ("document " + d + " has some words. ").repeat(8) + "\"}");
        }
        Path corpus = Files.write(tmp.resolve("c.jsonl"), lines);
        Path out = tmp.resolve("run");
        Run r = PoseCommandTest.run(
                "train",
                "--base",
                model.toString(),
                "--method",
                "pose",
                "--train-len",
                "16",
                "--target-len",
                "64",
                "--steps",
                "2",
                "--batch",
                "2",
                "--micro-batch",
                "1",
                "--lr",
                "1e-3",
                "--warmup",
                "0",
                "--held-out",
                "0",
                "--data",
                corpus.toString(),
                "--out",
                out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("] step 2/2  loss "), r.err());
        assertTrue(r.out().startsWith("done: " + out.resolve("checkpoint-000002") + " (step 2"), r.out());
    }
}
