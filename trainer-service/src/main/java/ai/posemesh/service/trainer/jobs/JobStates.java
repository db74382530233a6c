package ai.posemesh.service.trainer.jobs;

import ai.posemesh.proto.trainer.v1.CheckpointRef;
import ai.posemesh.proto.trainer.v1.JobInfo;
import ai.posemesh.proto.trainer.v1.JobState;
import java.security.SecureRandom;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;

/** Job ids and the merge rule for status snapshots. */
public final class JobStates {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final DateTimeFormatter ID_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private JobStates() {}

    /** {@code job-20261129-071500-1a2b3c4d}: sortable by submit time, unique across replicas. */
    public static String newJobId() {
        return "job-" + ID_TIME.format(java.time.Instant.now()) + "-" + String.format("%08x", RANDOM.nextInt());
    }

    public static boolean terminal(JobState s) {
        return s == JobState.JOB_STATE_SUCCEEDED || s == JobState.JOB_STATE_FAILED || s == JobState.JOB_STATE_CANCELLED;
    }

    /**
     * Folds a newer snapshot of a job into the one known so far. Several replicas write a job's snapshots (the one
     * that accepted it, the one that runs it, one that cancels it), each from its own, possibly stale, view; the
     * merge keeps what must never be lost: a terminal state is final (only the terminal state of a later attempt
     * replaces it, so a canceller that saw the job queued cannot overwrite what the replica that ran it wrote); a
     * snapshot of an earlier attempt does not move the state back (a stale QUEUED after RUNNING), but its terminal
     * state does apply (a cancel of a job the canceller saw queued); a cancel request stays requested; checkpoints
     * accumulate. Otherwise the newer snapshot wins. Merging is idempotent.
     */
    public static JobInfo merge(JobInfo known, JobInfo incoming) {
        if (known == null) {
            return incoming;
        }
        JobInfo.Builder b = incoming.toBuilder();
        boolean olderAttempt = incoming.getAttempts() < known.getAttempts();
        boolean keepKnownState = terminal(known.getState())
                ? !terminal(incoming.getState()) || olderAttempt
                : olderAttempt && !terminal(incoming.getState());
        if (keepKnownState) {
            b.setState(known.getState()).setReason(known.getReason()).setReplica(known.getReplica());
        }
        b.setCancelRequested(known.getCancelRequested() || incoming.getCancelRequested());
        if (!incoming.hasSpec() && known.hasSpec()) {
            b.setSpec(known.getSpec());
        }
        if (incoming.getSubmittedAtMs() == 0) {
            b.setSubmittedAtMs(known.getSubmittedAtMs());
        }
        if (incoming.getReplica().isEmpty()) {
            b.setReplica(known.getReplica());
        }
        b.setAttempts(Math.max(known.getAttempts(), incoming.getAttempts()));
        b.setUpdatedAtMs(Math.max(known.getUpdatedAtMs(), incoming.getUpdatedAtMs()));
        // progress: a snapshot from an older attempt, or behind what is known of the same attempt, does not win
        if (!incoming.hasProgress()
                || incoming.getAttempts() < known.getAttempts()
                || (incoming.getAttempts() == known.getAttempts()
                        && known.hasProgress()
                        && known.getProgress().getStep()
                                > incoming.getProgress().getStep())) {
            if (known.hasProgress()) {
                b.setProgress(known.getProgress());
            } else {
                b.clearProgress();
            }
        }
        Map<String, CheckpointRef> checkpoints = new LinkedHashMap<>();
        known.getCheckpointsList().forEach(c -> checkpoints.put(c.getCheckpointId(), c));
        incoming.getCheckpointsList().forEach(c -> checkpoints.put(c.getCheckpointId(), c));
        b.clearCheckpoints()
                .addAllCheckpoints(checkpoints.values().stream()
                        .sorted(Comparator.comparingInt(CheckpointRef::getStep))
                        .toList());
        return b.build();
    }
}
