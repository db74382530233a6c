package ai.posemesh.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.posemesh.cli.mesh.Mesh;
import ai.posemesh.cli.mesh.MeshControl;
import ai.posemesh.cli.mesh.MeshPorts;
import ai.posemesh.cli.mesh.MeshSpec;
import ai.posemesh.cli.mesh.MeshState;
import ai.posemesh.model.io.CheckpointManifest;
import ai.posemesh.proto.events.v1.CheckpointPublished;
import ai.posemesh.proto.events.v1.EvalCompleted;
import ai.posemesh.proto.events.v1.Outcome;
import ai.posemesh.proto.events.v1.PerplexityResult;
import ai.posemesh.proto.trainer.v1.CheckpointRef;
import ai.posemesh.proto.trainer.v1.JobSpec;
import ai.posemesh.proto.trainer.v1.JobState;
import ai.posemesh.proto.trainer.v1.JobUpdate;
import ai.posemesh.proto.trainer.v1.Method;
import ai.posemesh.proto.trainer.v1.SubmitJobRequest;
import ai.posemesh.proto.trainer.v1.SubmitJobResponse;
import ai.posemesh.proto.trainer.v1.TrainerGrpc;
import ai.posemesh.proto.trainer.v1.WatchJobRequest;
import ai.posemesh.testkit.TinyCorpus;
import ai.posemesh.testkit.TinyModels;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11, item 3, at toy size: the mesh {@code ./pose up} runs — the embedded Kafka broker, inference-, trainer- and
 * eval-service, each its own JVM on loopback, started by the CLI's {@link Mesh} — and the loop through it: SubmitJob
 * over gRPC, the job's checkpoints as CheckpointPublished on Kafka, one EvalCompleted with numbers per checkpoint, its
 * report served over HTTP; afterwards no process of the mesh is left.
 */
class MeshEndToEndTest {

    /** Away from the defaults (a developer's `./pose up`) and from the services' test ports (1808x / 1908x). */
    static final int PORT_OFFSET = 20000;

    static final String CHECKPOINTS = "posemesh.checkpoints.v1";
    static final String RESULTS = "posemesh.eval-results.v1";

    /** The base's window (= the job's train length), below the suite's longest lengths (32 and 384). */
    static final int BASE_WINDOW = 16;

    static final int TARGET_LEN = 512;
    static final int STEPS = 4;
    static final int CHECKPOINT_EVERY = 2;
    static final List<Integer> PPL_LENGTHS = List.of(16, 32);
    static final int PASSKEY_LENGTH = 384;

    static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    static final Duration JOB_TIMEOUT = Duration.ofMinutes(5);
    static final Duration EVAL_TIMEOUT = Duration.ofMinutes(5);

    static final Path ROOT = Path.of("target/e2e").toAbsolutePath();

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void aJobsCheckpointsAreEvaluatedOverTheMesh() throws Exception {
        Path repository = Path.of(System.getProperty(
                        "posemesh.repository",
                        Path.of("").toAbsolutePath().getParent().toString()))
                .toAbsolutePath()
                .normalize();
        deleteRecursively(ROOT); // a fresh broker, no checkpoints or reports of an earlier run
        Path meshDir = ROOT.resolve("mesh");
        Path dataRoot = ROOT.resolve("data");
        Path base = TinyModels.write(
                ROOT.resolve("base"), TinyModels.llama(BASE_WINDOW).config(), 7);
        Path trainCorpus = TinyCorpus.write(dataRoot.resolve("train.jsonl"), 24, 1200, 11);
        Path evalCorpus = TinyCorpus.write(dataRoot.resolve("eval.jsonl"), 3, 200, 13);

        Map<String, Map<String, String>> properties = new LinkedHashMap<>();
        properties.put(
                MeshSpec.TRAINER,
                Map.of(
                        "posemesh.trainer.progress-interval", "200ms",
                        "quarkus.log.category.\"org.apache.kafka\".level", "WARN"));
        Map<String, String> eval = new LinkedHashMap<>();
        eval.put("posemesh.eval.suite.perplexity.corpus", evalCorpus.toString());
        eval.put(
                "posemesh.eval.suite.perplexity.lengths",
                String.join(",", PPL_LENGTHS.stream().map(String::valueOf).toList()));
        eval.put("posemesh.eval.suite.perplexity.docs", "2");
        eval.put("posemesh.eval.suite.passkey.lengths", Integer.toString(PASSKEY_LENGTH));
        eval.put("posemesh.eval.suite.passkey.trials", "2");
        eval.put("posemesh.eval.suite.passkey.depth-bins", "2");
        eval.put("posemesh.eval.retry.max-attempts", "2");
        eval.put("posemesh.eval.retry.backoff", "200ms");
        eval.put("posemesh.eval.retry.unavailable-max-backoff", "1s");
        eval.put("quarkus.log.category.\"org.apache.kafka\".level", "WARN");
        properties.put(MeshSpec.EVAL, eval);

        MeshPorts ports = MeshPorts.of(PORT_OFFSET, List.of());
        MeshSpec spec = new MeshSpec(repository, meshDir, dataRoot, ports, Map.of(), properties, READY_TIMEOUT);
        MeshState state;
        long started = System.nanoTime();
        // no console: each service's output is in meshDir/logs/<service>.log (its tail printed on a failure)
        try (Mesh mesh = Mesh.start(spec, null)) {
            say("mesh ready after %d s", seconds(started));
            state = mesh.state();
            try {
                Optional<MeshControl.Status> status = MeshControl.status(meshDir);
                assertTrue(status.isPresent(), "mesh.json in " + meshDir);
                assertTrue(status.get().ready(), "every service ready: " + status.get());
                assertEquals(
                        MeshSpec.SERVICES,
                        state.services().stream().map(MeshState.Service::name).toList());

                run(ports, base, trainCorpus);
            } catch (Throwable t) {
                dumpLogs(spec);
                throw t;
            }
        }
        say("mesh stopped after %d s", seconds(started));

        for (MeshState.Service s : state.services()) {
            assertTrue(
                    s.process().live().isEmpty(),
                    s.name() + " (pid " + s.process().pid() + ") still runs after the mesh was closed; its log: "
                            + s.log());
        }
        assertFalse(Files.exists(MeshState.file(meshDir)), "mesh.json removed once the mesh stopped");
        assertTrue(MeshControl.status(meshDir).isEmpty(), "no mesh in " + meshDir);
    }

    private void run(MeshPorts ports, Path base, Path trainCorpus) throws Exception {
        String logs = "service logs: " + ROOT.resolve("mesh/logs") + "/<service>.log";
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", ports.get("trainer-grpc"))
                .usePlaintext()
                .build();
        String jobId;
        List<CheckpointRef> refs = new ArrayList<>();
        try {
            TrainerGrpc.TrainerBlockingStub trainer = TrainerGrpc.newBlockingStub(channel);
            SubmitJobResponse submitted = trainer.withDeadlineAfter(60, TimeUnit.SECONDS)
                    .submitJob(SubmitJobRequest.newBuilder()
                            .setSpec(JobSpec.newBuilder()
                                    .setBase(base.toString())
                                    .setMethod(Method.METHOD_POSE)
                                    .setRope("linear")
                                    .setTrainLen(BASE_WINDOW)
                                    .setTargetLen(TARGET_LEN)
                                    .setChunks(2)
                                    .setSteps(STEPS)
                                    .setCheckpointEvery(CHECKPOINT_EVERY)
                                    .setBatchSize(2)
                                    .setMicroBatch(2)
                                    .setLr(1e-3)
                                    .setWarmupSteps(0)
                                    .setHeldOut(0)
                                    .setData(trainCorpus.toString()))
                            .build());
            jobId = submitted.getJobId();
            say("submitted %s", jobId);
            List<JobUpdate> updates = new ArrayList<>();
            Iterator<JobUpdate> it = trainer.withDeadlineAfter(JOB_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                    .watchJob(WatchJobRequest.newBuilder().setJobId(jobId).build());
            try {
                it.forEachRemaining(updates::add);
            } catch (RuntimeException e) {
                throw new AssertionError(
                        "WatchJob " + jobId + " ended with " + e + " after " + updates.size() + " updates; " + logs, e);
            }
            assertFalse(updates.isEmpty(), "WatchJob streamed nothing; " + logs);
            JobUpdate last = updates.get(updates.size() - 1);
            assertTrue(last.hasState(), "the stream ends with the terminal state: " + last);
            assertEquals(
                    JobState.JOB_STATE_SUCCEEDED,
                    last.getState().getState(),
                    "job " + jobId + ": " + last.getState().getReason() + "; " + logs);
            updates.stream().filter(JobUpdate::hasCheckpoint).forEach(u -> refs.add(u.getCheckpoint()));
        } finally {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
        List<Integer> steps = new ArrayList<>();
        for (int s = CHECKPOINT_EVERY; s <= STEPS; s += CHECKPOINT_EVERY) {
            steps.add(s);
        }
        assertEquals(steps, refs.stream().map(CheckpointRef::getStep).toList(), "checkpoints streamed by WatchJob");

        String bootstrap = "127.0.0.1:" + ports.get(MeshPorts.KAFKA);
        List<CheckpointPublished> published = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : read(bootstrap, CHECKPOINTS, Duration.ofSeconds(60), l -> {
            return checkpointsOf(l, jobId).size() >= steps.size();
        })) {
            CheckpointPublished e = CheckpointPublished.parseFrom(r.value());
            if (e.getJobId().equals(jobId)) {
                published.add(e);
            }
        }
        published.sort(Comparator.comparingInt(CheckpointPublished::getStep));
        assertEquals(
                steps,
                published.stream().map(CheckpointPublished::getStep).toList(),
                "CheckpointPublished on " + CHECKPOINTS + " for every checkpoint of " + jobId + "; " + logs);
        for (CheckpointPublished e : published) {
            assertTrue(e.getUri().startsWith("file:///"), e.getUri());
            Path dir = Path.of(URI.create(e.getUri()));
            assertTrue(Files.isRegularFile(dir.resolve("config.json")), "an HF directory: " + dir);
            assertEquals(
                    CheckpointManifest.sha256(dir.resolve(CheckpointManifest.FILE)),
                    e.getManifestSha256(),
                    "the event's manifest sha256 is manifest.json's");
            assertEquals("linear", e.getRope().getRopeType());
            assertEquals((double) TARGET_LEN / BASE_WINDOW, e.getRope().getFactor(), 1e-9);
            assertEquals(BASE_WINDOW, e.getTrainLen());
            assertEquals(TARGET_LEN, e.getTargetLen());
            assertEquals(STEPS, e.getTotalSteps());
            assertEquals(e.getStep() == STEPS, e.getLast());
            assertEquals("pose", e.getMethod());
            CheckpointRef ref = refs.get(steps.indexOf(e.getStep()));
            assertEquals(ref.getManifestSha256(), e.getManifestSha256(), "WatchJob and the event agree");
        }
        say("%d checkpoints published; waiting for their evaluations", published.size());

        List<String> shas =
                published.stream().map(CheckpointPublished::getManifestSha256).toList();
        long evalStart = System.nanoTime();
        List<ConsumerRecord<String, byte[]>> results = read(
                bootstrap,
                RESULTS,
                EVAL_TIMEOUT,
                l -> shas.stream().allMatch(sha -> l.stream().anyMatch(r -> sha.equals(r.key()))));
        say("evaluations read after %d s", seconds(evalStart));
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        for (CheckpointPublished e : published) {
            List<EvalCompleted> got = new ArrayList<>();
            for (ConsumerRecord<String, byte[]> r : results) {
                if (e.getManifestSha256().equals(r.key())) {
                    got.add(EvalCompleted.parseFrom(r.value()));
                }
            }
            assertEquals(
                    1,
                    got.size(),
                    "one EvalCompleted on " + RESULTS + " for " + e.getCheckpointId() + " within "
                            + EVAL_TIMEOUT.toSeconds() + " s (" + results.size() + " results in all); " + logs);
            EvalCompleted c = got.get(0);
            String what = e.getCheckpointId() + ": ";
            assertEquals(Outcome.OUTCOME_SUCCEEDED, c.getOutcome(), what + c.getReason() + "; " + logs);
            assertEquals(e.getManifestSha256(), c.getModel().getManifestSha256(), what + "model.manifest_sha256");
            assertEquals(e.getStep(), c.getModel().getStep(), what + "model.step");
            assertEquals(jobId, c.getModel().getJobId(), what + "model.job_id");

            assertPerplexity(what, c.getPerplexityList());
            assertEquals(1, c.getPasskeyCount(), what + "passkey results: " + c.getPasskeyList());
            assertEquals(PASSKEY_LENGTH, c.getPasskey(0).getLength(), what + "passkey length");
            assertEquals(2, c.getPasskey(0).getTrials(), what + "passkey trials");

            assertTrue(c.hasBaseline(), what + "the base under the same suites");
            // served past its 16-token window (posemesh.eval.base-past-window), the base has perplexity at 32 too
            assertPerplexity(what + "baseline ", c.getBaseline().getPerplexityList());
            assertTrue(
                    c.getBaseline().getPerplexityList().stream().anyMatch(p -> p.getLength() > BASE_WINDOW),
                    what + "baseline perplexity past the base's window");
            assertEquals(1, c.getBaseline().getPasskeyCount(), what + "baseline passkey");

            assertFalse(c.getReportUrl().isEmpty(), what + "report_url");
            String url = "http://127.0.0.1:" + ports.get("eval-http") + c.getReportUrl();
            HttpResponse<String> page = http.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(30))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, page.statusCode(), url + "; " + logs);
            assertTrue(
                    page.headers().firstValue("content-type").orElse("").contains("text/html")
                            || page.body().toLowerCase().contains("<html"),
                    url + " serves HTML: " + page.headers().map());
            say(
                    "%s evaluated: ppl %s, baseline ppl %s, passkey %d/%d; report %s",
                    e.getCheckpointId(),
                    c.getPerplexityList().stream()
                            .map(p -> p.getLength() + "=" + String.format("%.2f", p.getPpl()))
                            .toList(),
                    c.getBaseline().getPerplexityList().stream()
                            .map(p -> p.getLength() + "=" + String.format("%.2f", p.getPpl()))
                            .toList(),
                    c.getPasskey(0).getPassed(),
                    c.getPasskey(0).getTrials(),
                    url);
        }
    }

    private static void assertPerplexity(String what, List<PerplexityResult> ppl) {
        assertEquals(
                PPL_LENGTHS,
                ppl.stream().map(PerplexityResult::getLength).toList(),
                what + "perplexity at the suite's lengths");
        for (PerplexityResult p : ppl) {
            assertTrue(Double.isFinite(p.getPpl()) && p.getPpl() > 1, what + "ppl " + p);
            assertTrue(p.getScoredTokens() > 0, what + "scored tokens " + p);
        }
    }

    private static List<CheckpointPublished> checkpointsOf(List<ConsumerRecord<String, byte[]>> records, String job) {
        List<CheckpointPublished> out = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            try {
                CheckpointPublished e = CheckpointPublished.parseFrom(r.value());
                if (e.getJobId().equals(job)) {
                    out.add(e);
                }
            } catch (IOException e) {
                // not an event of ours
            }
        }
        return out;
    }

    /** Every record on {@code topic} from the earliest offset, polled until {@code until} holds or the timeout. */
    static List<ConsumerRecord<String, byte[]>> read(
            String bootstrap, String topic, Duration timeout, Predicate<List<ConsumerRecord<String, byte[]>>> until) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<String, byte[]>> all = new ArrayList<>();
        long end = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = new ArrayList<>();
            while (parts.isEmpty()) {
                c.partitionsFor(topic, Duration.ofSeconds(5))
                        .forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
                if (parts.isEmpty()) {
                    if (System.nanoTime() > end) {
                        fail("topic " + topic + " does not exist on " + bootstrap + " after " + timeout.toSeconds()
                                + " s");
                    }
                    sleep(500);
                }
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            do {
                c.poll(Duration.ofMillis(500)).forEach(all::add);
            } while (!until.test(all) && System.nanoTime() < end);
        }
        return all;
    }

    /** Each service's last lines, so a failed build log says what the mesh did. */
    private static void dumpLogs(MeshSpec spec) {
        for (String s : MeshSpec.SERVICES) {
            Path log = spec.logs().resolve(s + ".log");
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                System.err.printf("---- %s: last %d lines of %s ----%n", s, Math.min(40, lines.size()), log);
                lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(System.err::println);
            } catch (IOException e) {
                System.err.printf("---- %s: %s unreadable (%s) ----%n", s, log, e);
            }
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static long seconds(long sinceNanos) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - sinceNanos);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static void say(String format, Object... args) {
        System.out.printf("e2e       | " + format + "%n", args);
    }
}
