package ai.posemesh.service.trainer.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.model.io.CheckpointManifest;
import ai.posemesh.proto.events.v1.CheckpointPublished;
import ai.posemesh.proto.trainer.v1.JobInfo;
import ai.posemesh.proto.trainer.v1.JobSpec;
import ai.posemesh.proto.trainer.v1.JobState;
import ai.posemesh.proto.trainer.v1.Method;
import ai.posemesh.proto.trainer.v1.SubmitJobResponse;
import ai.posemesh.proto.trainer.v1.TrainJobRecord;
import ai.posemesh.service.trainer.TestEvents;
import ai.posemesh.service.trainer.TestModels;
import ai.posemesh.service.trainer.TrainerSettings;
import ai.posemesh.service.trainer.kafka.KafkaClients;
import ai.posemesh.service.trainer.kafka.Topics;
import ai.posemesh.service.trainer.kafka.TrainerRecords;
import ai.posemesh.testkit.KafkaTestResource;
import ai.posemesh.testkit.TestKafka;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * (c) Two replicas' job-queue consumers in one JVM, one consumer group, a real broker and the real training loop:
 * every job runs exactly once. Each test uses its own topics and group, so the service's own replica (on the default
 * topics) stays out of it. A {@code @QuarkusTest} only so that it shares the Quarkus class loader with the other
 * tests: DJL's native libraries (libtorch, tokenizers) load once per JVM, into one class loader.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
class JobQueueTest {

    static Path base;
    static Path corpus;

    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeAll
    static void inputs() throws Exception {
        base = TestModels.tinyModel(Path.of("target/test-models/tiny-32").toAbsolutePath(), 32);
        corpus = TestModels.corpus(Path.of("target/test-data/tiny-corpus.jsonl").toAbsolutePath(), 24, 600);
    }

    /** One trainer replica: its producer, its status view, its worker. */
    record Replica(
            TrainerSettings settings, TrainerRecords records, JobStatusView view, JobWorker worker, TrainerJobs jobs) {}

    private TrainerSettings settings(String prefix) {
        return new TrainerSettings(
                Map.of("bootstrap.servers", TestKafka.bootstrapServers()),
                "unset",
                prefix + ".jobs",
                prefix + ".status",
                prefix + ".checkpoints",
                prefix + "-group",
                4,
                2,
                1,
                (short) 1,
                true,
                Path.of("target/test-checkpoints/" + prefix),
                Path.of("target/test-data"),
                Duration.ofMillis(200),
                Duration.ofMinutes(5));
    }

    private Replica replica(TrainerSettings shared, String id) {
        TrainerSettings s = shared.withReplicaId(id);
        TrainerRecords records = new TrainerRecords(
                KafkaClients.producer(s.kafka(), id), s.jobsTopic(), s.statusTopic(), s.checkpointsTopic());
        JobStatusView view = new JobStatusView(s.kafka(), s.statusTopic(), id + "-status").start();
        JobWorker worker = new JobWorker(s, view, records, new ProgressBus()).start();
        open.add(records);
        open.add(view);
        open.add(worker); // closed first (reverse order)
        return new Replica(s, records, view, worker, new TrainerJobs(s, records, view));
    }

    @AfterEach
    void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private static void createTopics(TrainerSettings s) throws Exception {
        try (Admin admin = KafkaClients.admin(s.kafka(), "test-admin")) {
            Topics.ensure(admin, s);
        }
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    private static JobSpec.Builder spec(int steps, int checkpointEvery) {
        return JobSpec.newBuilder()
                .setBase(base.toString())
                .setMethod(Method.METHOD_POSE)
                .setRope("linear")
                .setTrainLen(32)
                .setTargetLen(128)
                .setSteps(steps)
                .setCheckpointEvery(checkpointEvery)
                .setBatchSize(2)
                .setMicroBatch(1)
                .setLr(1e-3)
                .setWarmupSteps(0)
                .setHeldOut(0)
                .setData(corpus.toString());
    }

    @Test
    void twoConsumersOfOneGroupRunEveryJobExactlyOnce() throws Exception {
        TrainerSettings s = settings("t" + UUID.randomUUID().toString().substring(0, 8));
        createTopics(s);
        Replica a = replica(s, "replica-a");
        Replica b = replica(s, "replica-b");
        // a stable group first: both own partitions, so no rebalance moves a job mid-run
        await(
                "both replicas own job partitions",
                Duration.ofSeconds(60),
                () -> !a.worker().assignment().isEmpty()
                        && !b.worker().assignment().isEmpty()
                        && a.worker().assignment().size()
                                        + b.worker().assignment().size()
                                == s.jobPartitions());

        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ids.add(a.jobs().submit(spec(0, 0).build()).getJobId());
        }
        await(
                "every job ended",
                Duration.ofMinutes(5),
                () -> ids.stream().allMatch(id -> {
                    JobInfo j = a.view().get(id);
                    return j != null && JobStates.terminal(j.getState());
                }));

        Map<String, List<String>> ranOn = new HashMap<>();
        for (Replica r : List.of(a, b)) {
            for (String id : r.worker().jobsStarted()) {
                ranOn.computeIfAbsent(id, k -> new ArrayList<>())
                        .add(r.settings().replicaId());
            }
        }
        for (String id : ids) {
            assertEquals(1, ranOn.getOrDefault(id, List.of()).size(), id + " ran on " + ranOn.get(id));
            JobInfo j = b.view().get(id); // the other replica's view agrees
            assertEquals(1, j.getAttempts(), j.toString());
            assertEquals(ranOn.get(id).get(0), j.getReplica());
        }
        assertEquals(ids.size(), ranOn.size(), "no job ran that was not submitted: " + ranOn);
        System.out.printf(
                "jobs per replica: a=%d b=%d%n",
                a.worker().jobsStarted().size(), b.worker().jobsStarted().size());

        // and they trained: steps = 0 writes the base with the target RoPE as the only checkpoint
        for (String id : ids) {
            JobInfo j = a.view().get(id);
            assertEquals(JobState.JOB_STATE_SUCCEEDED, j.getState(), id + ": " + j.getReason());
            assertEquals(1, j.getCheckpointsCount(), j.toString());
            Path dir = Path.of(j.getSpec().getOut()).resolve("checkpoint-000000");
            assertTrue(Files.isRegularFile(dir.resolve("manifest.json")), dir.toString());
        }
    }

    @Test
    void aJobGivenBackByAReplicaResumesOnAnother() throws Exception {
        TrainerSettings s = settings("t" + UUID.randomUUID().toString().substring(0, 8));
        createTopics(s);
        Replica a = replica(s, "replica-a");
        await(
                "replica a owns every partition",
                Duration.ofSeconds(60),
                () -> a.worker().assignment().size() == s.jobPartitions());
        String id = a.jobs().submit(spec(1000, 100).build()).getJobId();
        await("a first checkpoint", Duration.ofMinutes(3), () -> {
            JobInfo j = a.view().get(id);
            if (j != null && JobStates.terminal(j.getState())) {
                throw new AssertionError(
                        "the job ended before its first checkpoint: " + j.getState() + " " + j.getReason());
            }
            return j != null && j.getCheckpointsCount() >= 1;
        });
        Replica b = replica(s, "replica-b");
        a.worker().close(); // a graceful shutdown: the job stops after its step, its record stays uncommitted

        JobInfo end = awaitTerminal(b.view(), id);
        assertEquals(JobState.JOB_STATE_SUCCEEDED, end.getState(), end.getReason());
        assertEquals(2, end.getAttempts());
        assertEquals("replica-b", end.getReplica());
        assertEquals(List.of(id), a.worker().jobsStarted());
        assertEquals(List.of(id), b.worker().jobsStarted());
        List<Integer> steps =
                end.getCheckpointsList().stream().map(c -> c.getStep()).toList();
        assertEquals(steps.stream().distinct().sorted().toList(), steps, "each checkpoint once: " + steps);
        assertEquals(1000, steps.get(steps.size() - 1));
        assertTrue(end.getCheckpoints(steps.size() - 1).getLast());
    }

    /**
     * A replica died after writing checkpoints but before announcing them: the job's status says RUNNING on a
     * replica that is gone, its record is uncommitted, its out holds complete checkpoints. The replica that takes
     * the record over announces them before resuming.
     */
    @Test
    void checkpointsLeftUnannouncedByADeadReplicaAreAnnounced() throws Exception {
        TrainerSettings s = settings("t" + UUID.randomUUID().toString().substring(0, 8));
        createTopics(s);
        Replica a = replica(s, "replica-a");
        // the dead replica's work, on disk: a real job that wrote checkpoint-000001 and -000002 into out
        SubmitJobResponse earlier = a.jobs().submit(spec(2, 1).build());
        JobInfo earlierEnd = awaitTerminal(a.view(), earlier.getJobId());
        assertEquals(JobState.JOB_STATE_SUCCEEDED, earlierEnd.getState(), earlierEnd.getReason());
        JobSpec same = earlier.getSpec(); // same settings and out: the library resumes from those checkpoints

        String id = "job-dead-" + UUID.randomUUID().toString().substring(0, 8);
        a.records()
                .writeStatus(JobInfo.newBuilder()
                        .setJobId(id)
                        .setSpec(same)
                        .setState(JobState.JOB_STATE_RUNNING)
                        .setAttempts(1)
                        .setReplica("replica-gone")
                        .setSubmittedAtMs(System.currentTimeMillis())
                        .build());
        a.records()
                .queueJob(TrainJobRecord.newBuilder().setJobId(id).setSpec(same).build());

        JobInfo end = awaitTerminal(a.view(), id);
        assertEquals(JobState.JOB_STATE_SUCCEEDED, end.getState(), end.getReason());
        assertEquals(2, end.getAttempts());
        List<CheckpointPublished> events = TestEvents.checkpoints(s.checkpointsTopic(), id, 2);
        assertEquals(
                List.of(1, 2), events.stream().map(CheckpointPublished::getStep).toList(), events.toString());
        for (CheckpointPublished e : events) {
            Path dir = Path.of(java.net.URI.create(e.getUri()));
            assertEquals(CheckpointManifest.sha256(dir.resolve("manifest.json")), e.getManifestSha256());
            assertEquals(e.getStep() == 2, e.getLast());
        }
        assertEquals(2, end.getCheckpointsCount());
    }

    private static JobInfo awaitTerminal(JobStatusView view, String id) throws InterruptedException {
        await(id + " to end", Duration.ofMinutes(5), () -> {
            JobInfo j = view.get(id);
            return j != null && JobStates.terminal(j.getState());
        });
        return view.get(id);
    }
}
