package ai.posemesh.service.trainer.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.cli.PoseCommand;
import ai.posemesh.proto.trainer.v1.CancelJobRequest;
import ai.posemesh.proto.trainer.v1.JobInfo;
import ai.posemesh.proto.trainer.v1.ListJobsRequest;
import ai.posemesh.proto.trainer.v1.TrainerGrpc;
import ai.posemesh.service.trainer.TestModels;
import ai.posemesh.service.trainer.TestSupport;
import ai.posemesh.testkit.KafkaTestResource;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code ./pose train --endpoint} against this service (gRPC, Kafka job queue, the real training loop), run
 * in-process through the CLI's entry point exactly as a user types it: exit codes, progress, checkpoints, errors.
 * Paths are given relative to the working directory, as a user would; the CLI must send them absolute (the service
 * would resolve relative ones against its checkpoint root).
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
class CliTrainTest {

    static final String BASE = "target/test-models/tiny-32";
    static final String CORPUS = "target/test-data/tiny-corpus.jsonl";
    private static final Pattern SUBMITTED = Pattern.compile("job (\\S+) submitted to ");

    @GrpcClient("trainer")
    TrainerGrpc.TrainerBlockingStub trainer;

    record Run(int code, String out, String err) {}

    @BeforeAll
    static void inputs() throws Exception {
        TestModels.tinyModel(Path.of(BASE).toAbsolutePath(), 32);
        TestModels.corpus(Path.of(CORPUS).toAbsolutePath(), 24, 600);
    }

    private static String endpoint() {
        return "localhost:" + ConfigProvider.getConfig().getValue("quarkus.grpc.server.test-port", Integer.class);
    }

    private static String[] train(String... flags) {
        return Stream.concat(Stream.of("train", "--endpoint", endpoint()), Stream.of(flags))
                .toArray(String[]::new);
    }

    /** A tiny PoSE job: Lc 32, Lt 128, batch 2. */
    private static String[] tinyJob(String... more) {
        return train(Stream.concat(
                        Stream.of(
                                "--base",
                                BASE,
                                "--method",
                                "pose",
                                "--train-len",
                                "32",
                                "--target-len",
                                "128",
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
                                CORPUS),
                        Stream.of(more))
                .toArray(String[]::new));
    }

    private static Run pose(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = PoseCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    private static String jobId(String out) {
        Matcher m = SUBMITTED.matcher(out);
        assertTrue(m.find(), "the job id is printed at submit: " + out);
        return m.group(1);
    }

    @Test
    void aJobRunsToTheEndWithProgressAndCheckpoints() throws Exception {
        TestSupport.awaitReady(Duration.ofSeconds(60));
        String outArg = "target/cli-runs/" + UUID.randomUUID();
        Path out = Path.of(outArg).toAbsolutePath().normalize();
        Run r = pose(tinyJob("--steps", "3", "--checkpoint-every", "2", "--out", outArg));
        assertEquals(0, r.code(), r.out() + r.err());

        String jobId = jobId(r.out());
        assertTrue(
                r.out().contains("submitted to " + endpoint() + " (out: " + out + ")"),
                "a relative --out is sent resolved against the client's directory: " + r.out());
        assertTrue(r.err().contains("] step 3/3  loss "), "the progress bar: " + r.err());
        for (int step : new int[] {2, 3}) {
            Path dir = out.resolve(String.format("checkpoint-%06d", step));
            assertTrue(
                    r.err().contains("checkpoint " + dir + " (step " + step + ", loss "),
                    "checkpoint " + step + " is shown: " + r.err());
            assertTrue(Files.isRegularFile(dir.resolve("config.json")), "an HF directory: " + dir);
        }
        assertTrue(r.out().contains("done: " + out.resolve("checkpoint-000003") + " (step 3, train loss "), r.out());
        assertTrue(r.out().contains("throughput: "), r.out());

        // what reached the service: the flags given; the rest took the service's defaults
        JobInfo job = trainer.listJobs(ListJobsRequest.getDefaultInstance()).getJobsList().stream()
                .filter(j -> j.getJobId().equals(jobId))
                .findFirst()
                .orElseThrow();
        assertEquals(
                Path.of(BASE).toAbsolutePath().normalize().toString(),
                job.getSpec().getBase());
        assertEquals(out.toString(), job.getSpec().getOut());
        assertEquals(3, job.getSpec().getSteps());
        assertEquals(42, job.getSpec().getSeed(), "--seed not given: the service's default");
        assertEquals(2, job.getSpec().getChunks(), "--chunks not given: the service's default");

        // following a finished job again shows its checkpoints and ends the same way
        Run again = pose(train("--job", jobId));
        assertEquals(0, again.code(), again.out() + again.err());
        assertTrue(again.err().contains("checkpoint " + out.resolve("checkpoint-000002")), again.err());
        assertTrue(again.out().contains("done: " + out.resolve("checkpoint-000003")), again.out());
    }

    @Test
    void aBadJobIsRejectedNamingTheField() throws Exception {
        TestSupport.awaitReady(Duration.ofSeconds(60));
        Run r = pose(train(
                "--base",
                BASE,
                "--method",
                "pose",
                "--train-len",
                "32",
                "--target-len",
                "16",
                "--data",
                CORPUS,
                "--steps",
                "1"));
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(
                "pose train: error: INVALID_ARGUMENT: target_len: Lt (16) must be >= Lc (32)",
                r.err().strip());
        assertFalse(r.out().contains("submitted"), r.out());

        Run missing = pose(
                train("--base", "target/no-such-model", "--method", "pose", "--train-len", "32", "--data", CORPUS));
        assertEquals(2, missing.code(), missing.err());
        assertTrue(
                missing.err()
                        .startsWith("pose train: error: FAILED_PRECONDITION: base: no such directory: "
                                + Path.of("target/no-such-model").toAbsolutePath()),
                missing.err());

        Run unknown = pose(train("--job", "no-such-job"));
        assertEquals(2, unknown.code(), unknown.err());
        assertTrue(unknown.err().contains("pose train: error: NOT_FOUND: no job no-such-job"), unknown.err());
    }

    @Test
    void aJobThatFailsOnTheServiceExitsOneWithItsReason() throws Exception {
        TestSupport.awaitReady(Duration.ofSeconds(60));
        Run r = pose(train(
                "--base",
                BASE,
                "--method",
                "pose",
                "--train-len",
                "32",
                "--target-len",
                "64",
                "--steps",
                "1",
                "--data",
                "target/test-data/no-such-corpus.jsonl"));
        assertEquals(1, r.code(), r.out() + r.err());
        String jobId = jobId(r.out());
        List<String> lines = r.err().lines().toList();
        String last = lines.get(lines.size() - 1);
        assertTrue(last.startsWith("pose train: error: job " + jobId + " FAILED: "), r.err());
        assertTrue(last.contains("no-such-corpus.jsonl"), "the service's reason: " + last);
    }

    @Test
    void aJobCancelledWhileFollowedExitsOne() throws Exception {
        TestSupport.awaitReady(Duration.ofSeconds(60));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ExecutorService cli = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> code = cli.submit(() -> PoseCommand.run(
                    new PrintWriter(out, true),
                    new PrintWriter(err, true),
                    tinyJob("--steps", "100000", "--checkpoint-every", "0")));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (!err.toString().contains("] step ") && !code.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertFalse(code.isDone(), "still following: " + out + err);
            String jobId = jobId(out.toString());
            trainer.cancelJob(CancelJobRequest.newBuilder()
                    .setJobId(jobId)
                    .setReason("cli test")
                    .build());
            assertEquals(1, code.get(3, TimeUnit.MINUTES), out + "\n" + err);
            List<String> lines = err.toString().lines().toList();
            String last = lines.get(lines.size() - 1);
            assertTrue(
                    last.startsWith("pose train: error: job " + jobId + " CANCELLED: ") && last.contains("cli test"),
                    err.toString());
        } finally {
            cli.shutdownNow();
        }
    }
}
