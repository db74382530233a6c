package ai.posemesh.service.trainer.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.model.io.CheckpointManifest;
import ai.posemesh.proto.events.v1.CheckpointPublished;
import ai.posemesh.proto.trainer.v1.CancelJobRequest;
import ai.posemesh.proto.trainer.v1.JobInfo;
import ai.posemesh.proto.trainer.v1.JobSpec;
import ai.posemesh.proto.trainer.v1.JobState;
import ai.posemesh.proto.trainer.v1.JobUpdate;
import ai.posemesh.proto.trainer.v1.ListJobsRequest;
import ai.posemesh.proto.trainer.v1.Method;
import ai.posemesh.proto.trainer.v1.SubmitJobRequest;
import ai.posemesh.proto.trainer.v1.SubmitJobResponse;
import ai.posemesh.proto.trainer.v1.TrainerGrpc;
import ai.posemesh.proto.trainer.v1.WatchJobRequest;
import ai.posemesh.service.trainer.TestEvents;
import ai.posemesh.service.trainer.TestModels;
import ai.posemesh.testkit.KafkaTestResource;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * (b) A job on a tiny real model, end to end through gRPC, the job topic, the real training loop and the
 * checkpoint topic; and a running job cancelled through the API. Needs the real {@code Trainer.run}.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
class TrainJobTest {

    static Path base;
    static Path corpus;

    @GrpcClient("trainer")
    TrainerGrpc.TrainerBlockingStub trainer;

    @BeforeAll
    static void inputs() throws Exception {
        base = TestModels.tinyModel(Path.of("target/test-models/tiny-32").toAbsolutePath(), 32);
        corpus = TestModels.corpus(Path.of("target/test-data/tiny-corpus.jsonl").toAbsolutePath(), 24, 600);
    }

    private static JobSpec.Builder spec() {
        return JobSpec.newBuilder()
                .setBase(base.toString())
                .setMethod(Method.METHOD_POSE)
                .setRope("linear")
                .setTrainLen(32)
                .setTargetLen(128)
                .setChunks(2)
                .setSteps(3)
                .setCheckpointEvery(2)
                .setBatchSize(2)
                .setMicroBatch(1)
                .setLr(1e-3)
                .setWarmupSteps(0)
                .setHeldOut(0)
                .setData(corpus.toString());
    }

    /** Every update of the job until its stream completes (after the terminal state). */
    private List<JobUpdate> watch(String jobId) {
        List<JobUpdate> updates = new ArrayList<>();
        Iterator<JobUpdate> it = trainer.withDeadlineAfter(10, TimeUnit.MINUTES)
                .watchJob(WatchJobRequest.newBuilder().setJobId(jobId).build());
        it.forEachRemaining(updates::add);
        return updates;
    }

    private static JobUpdate terminal(List<JobUpdate> updates) {
        JobUpdate last = updates.get(updates.size() - 1);
        assertTrue(last.hasState(), "the stream ends with the terminal state: " + last);
        return last;
    }

    @Test
    void checkpointsArePublishedWithTheManifestSha() throws Exception {
        ai.posemesh.service.trainer.TestSupport.awaitReady(Duration.ofSeconds(60));
        SubmitJobResponse submitted =
                trainer.submitJob(SubmitJobRequest.newBuilder().setSpec(spec()).build());
        String jobId = submitted.getJobId();
        Path out = Path.of(submitted.getSpec().getOut());
        assertTrue(out.isAbsolute(), out.toString());
        assertEquals(42, submitted.getSpec().getSeed(), "unset fields take the library's defaults");

        List<JobUpdate> updates = watch(jobId);
        JobUpdate end = terminal(updates);
        assertEquals(
                JobState.JOB_STATE_SUCCEEDED,
                end.getState().getState(),
                end.getState().getReason());
        assertTrue(
                updates.stream()
                        .anyMatch(u -> u.hasProgress() && u.getProgress().getStep() == 3),
                "progress of every step on the replica that trains: " + updates);
        List<Integer> streamed = updates.stream()
                .filter(JobUpdate::hasCheckpoint)
                .map(u -> u.getCheckpoint().getStep())
                .toList();
        assertEquals(List.of(2, 3), streamed);

        List<CheckpointPublished> events = TestEvents.checkpoints("posemesh.checkpoints.v1", jobId, 2);
        assertEquals(
                List.of(2, 3), events.stream().map(CheckpointPublished::getStep).toList());
        for (CheckpointPublished e : events) {
            Path dir = Path.of(URI.create(e.getUri()));
            assertTrue(dir.isAbsolute() && e.getUri().startsWith("file:///"), e.getUri());
            assertEquals(out.resolve(String.format("checkpoint-%06d", e.getStep())), dir);
            assertTrue(Files.isRegularFile(dir.resolve("config.json")), "an HF directory: " + dir);
            assertEquals(
                    CheckpointManifest.sha256(dir.resolve("manifest.json")),
                    e.getManifestSha256(),
                    "sha256 of manifest.json");
            assertEquals(jobId + "-checkpoint-" + String.format("%06d", e.getStep()), e.getCheckpointId());
            assertEquals(jobId, e.getJobId());
            assertEquals(e.getStep() == 3, e.getLast());
            assertEquals("pose", e.getMethod());
            assertEquals(2, e.getSampler().getChunks());
            assertEquals("linear", e.getRope().getRopeType());
            assertEquals(4.0, e.getRope().getFactor(), 1e-9);
            assertEquals(32, e.getTrainLen());
            assertEquals(128, e.getTargetLen());
            assertEquals(3, e.getTotalSteps());
            String baseUri = base.toUri().toString();
            assertEquals(baseUri.endsWith("/") ? baseUri : baseUri + "/", e.getBaseModel());
            assertTrue(e.getPeakMemoryBytes() > 0 && e.getWallSeconds() > 0, e.toString());
        }

        JobInfo listed = trainer
                .listJobs(ListJobsRequest.newBuilder()
                        .addStates(JobState.JOB_STATE_SUCCEEDED)
                        .build())
                .getJobsList()
                .stream()
                .filter(j -> j.getJobId().equals(jobId))
                .findFirst()
                .orElseThrow();
        assertEquals(2, listed.getCheckpointsCount());
        assertEquals(1, listed.getAttempts());
        assertEquals(events.get(1).getManifestSha256(), listed.getCheckpoints(1).getManifestSha256());
    }

    @Test
    void aRunningJobStopsWhenCancelled() throws Exception {
        ai.posemesh.service.trainer.TestSupport.awaitReady(Duration.ofSeconds(60));
        String jobId = trainer.submitJob(SubmitJobRequest.newBuilder()
                        .setSpec(spec().setSteps(100_000).setCheckpointEvery(0))
                        .build())
                .getJobId();
        Iterator<JobUpdate> it = trainer.withDeadlineAfter(10, TimeUnit.MINUTES)
                .watchJob(WatchJobRequest.newBuilder().setJobId(jobId).build());
        List<JobUpdate> updates = new ArrayList<>();
        while (it.hasNext()) {
            JobUpdate u = it.next();
            updates.add(u);
            if (u.hasProgress() && u.getProgress().getStep() >= 2) {
                break;
            }
        }
        JobInfo requested = trainer.cancelJob(CancelJobRequest.newBuilder()
                        .setJobId(jobId)
                        .setReason("test")
                        .build())
                .getJob();
        assertTrue(
                requested.getCancelRequested(),
                "cancelled while running, not " + requested.getState() + " " + requested.getReason());
        it.forEachRemaining(updates::add);
        JobUpdate end = terminal(updates);
        assertEquals(
                JobState.JOB_STATE_CANCELLED,
                end.getState().getState(),
                end.getState().getReason());
        assertTrue(end.getState().getReason().contains("test"), end.getState().getReason());
        assertFalse(updates.stream().anyMatch(JobUpdate::hasCheckpoint), "a cancelled job writes no checkpoint");
    }
}
