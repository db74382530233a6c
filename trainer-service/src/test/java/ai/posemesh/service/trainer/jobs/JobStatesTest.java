package ai.posemesh.service.trainer.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.proto.trainer.v1.CheckpointRef;
import ai.posemesh.proto.trainer.v1.JobInfo;
import ai.posemesh.proto.trainer.v1.JobState;
import ai.posemesh.proto.trainer.v1.StepProgress;
import org.junit.jupiter.api.Test;

/** The status merge: what several replicas write about one job, read in any order, never loses a fact. */
class JobStatesTest {

    private static JobInfo job(JobState state, int attempts) {
        return JobInfo.newBuilder()
                .setJobId("j")
                .setState(state)
                .setAttempts(attempts)
                .build();
    }

    private static CheckpointRef cp(int step) {
        return CheckpointRef.newBuilder()
                .setCheckpointId("j-checkpoint-" + step)
                .setStep(step)
                .build();
    }

    @Test
    void terminalStatesAreFinal() {
        JobInfo done = job(JobState.JOB_STATE_SUCCEEDED, 1);
        assertEquals(
                JobState.JOB_STATE_SUCCEEDED,
                JobStates.merge(done, job(JobState.JOB_STATE_RUNNING, 1)).getState());
        // a canceller that saw the job queued (attempt 0) does not overwrite what its runner wrote
        assertEquals(
                JobState.JOB_STATE_SUCCEEDED,
                JobStates.merge(done, job(JobState.JOB_STATE_CANCELLED, 0)).getState());
        // but the runner's own CANCELLED replaces the canceller's
        JobInfo byCanceller = job(JobState.JOB_STATE_CANCELLED, 0).toBuilder()
                .setReason("by user")
                .build();
        JobInfo byRunner = job(JobState.JOB_STATE_CANCELLED, 1).toBuilder()
                .setReason("by user, at step 7")
                .build();
        assertEquals(
                "by user, at step 7", JobStates.merge(byCanceller, byRunner).getReason());
    }

    @Test
    void aStaleSnapshotDoesNotMoveTheStateBack() {
        JobInfo running =
                job(JobState.JOB_STATE_RUNNING, 1).toBuilder().setReplica("b").build();
        JobInfo merged = JobStates.merge(running, job(JobState.JOB_STATE_QUEUED, 0));
        assertEquals(JobState.JOB_STATE_RUNNING, merged.getState());
        assertEquals("b", merged.getReplica());
        // a job given back is queued again within the same attempt, then runs as attempt 2
        JobInfo requeued = JobStates.merge(running, job(JobState.JOB_STATE_QUEUED, 1));
        assertEquals(JobState.JOB_STATE_QUEUED, requeued.getState());
        assertEquals(
                2, JobStates.merge(requeued, job(JobState.JOB_STATE_RUNNING, 2)).getAttempts());
    }

    @Test
    void cancelRequestsAndCheckpointsAccumulate() {
        JobInfo known = job(JobState.JOB_STATE_RUNNING, 1).toBuilder()
                .setCancelRequested(true)
                .addCheckpoints(cp(2))
                .build();
        JobInfo incoming = job(JobState.JOB_STATE_RUNNING, 1).toBuilder()
                .addCheckpoints(cp(4))
                .build();
        JobInfo merged = JobStates.merge(known, incoming);
        assertTrue(merged.getCancelRequested());
        assertEquals(2, merged.getCheckpointsCount());
        assertEquals(2, merged.getCheckpoints(0).getStep());
        assertEquals(merged, JobStates.merge(merged, incoming), "idempotent");
    }

    @Test
    void progressOnlyMovesForwardWithinAnAttempt() {
        JobInfo at9 = job(JobState.JOB_STATE_RUNNING, 1).toBuilder()
                .setProgress(StepProgress.newBuilder().setStep(9))
                .build();
        JobInfo at5 = job(JobState.JOB_STATE_RUNNING, 1).toBuilder()
                .setProgress(StepProgress.newBuilder().setStep(5))
                .build();
        assertEquals(9, JobStates.merge(at9, at5).getProgress().getStep());
        JobInfo resumedAt5 = at5.toBuilder().setAttempts(2).build();
        assertEquals(5, JobStates.merge(at9, resumedAt5).getProgress().getStep());
    }

    @Test
    void jobIdsAreDistinct() {
        assertTrue(JobStates.newJobId().matches("job-\\d{8}-\\d{6}-[0-9a-f]{8}"));
        assertTrue(!JobStates.newJobId().equals(JobStates.newJobId()));
    }
}
