package ai.posemesh.service.trainer.grpc;

import ai.posemesh.proto.trainer.v1.CheckpointRef;
import ai.posemesh.proto.trainer.v1.JobInfo;
import ai.posemesh.proto.trainer.v1.JobState;
import ai.posemesh.proto.trainer.v1.JobUpdate;
import ai.posemesh.proto.trainer.v1.StateChange;
import ai.posemesh.proto.trainer.v1.StepProgress;
import ai.posemesh.service.trainer.jobs.JobStates;
import io.smallrye.mutiny.subscription.MultiEmitter;
import java.util.HashSet;
import java.util.Set;

/**
 * One WatchJob stream. Two sources feed it — status snapshots (state, checkpoints, cluster-wide progress) and this
 * replica's step-by-step progress — and it emits each fact once, in order: a state change when the state differs
 * from the last one sent, each checkpoint once, progress only forward within an attempt. It completes after a terminal state.
 */
final class JobWatcher {

    private final String jobId;
    private final MultiEmitter<? super JobUpdate> emitter;
    private final Set<String> checkpointsSent = new HashSet<>();
    private JobState stateSent;
    private String reasonSent = "";
    private int stepSent = Integer.MIN_VALUE;
    private int attempt;
    private boolean done;

    JobWatcher(String jobId, MultiEmitter<? super JobUpdate> emitter) {
        this.jobId = jobId;
        this.emitter = emitter;
    }

    synchronized void onSnapshot(JobInfo job) {
        if (done) {
            return;
        }
        if (job.getAttempts() > attempt) {
            attempt = job.getAttempts();
            stepSent = Integer.MIN_VALUE; // a resumed job counts again from its checkpoint
        }
        boolean terminal = JobStates.terminal(job.getState());
        boolean stateChanged =
                job.getState() != stateSent || (terminal && !job.getReason().equals(reasonSent));
        if (stateChanged && !terminal) {
            sendState(job);
        }
        for (CheckpointRef c : job.getCheckpointsList()) {
            if (checkpointsSent.add(c.getCheckpointId())) {
                emitter.emit(
                        JobUpdate.newBuilder().setJobId(jobId).setCheckpoint(c).build());
            }
        }
        if (job.hasProgress()) {
            onProgress(job.getProgress());
        }
        if (terminal) {
            sendState(job);
            done = true;
            emitter.complete();
        }
    }

    synchronized void onProgress(StepProgress p) {
        if (!done && p.getStep() > stepSent) {
            stepSent = p.getStep();
            emitter.emit(JobUpdate.newBuilder().setJobId(jobId).setProgress(p).build());
        }
    }

    private void sendState(JobInfo job) {
        stateSent = job.getState();
        reasonSent = job.getReason();
        emitter.emit(JobUpdate.newBuilder()
                .setJobId(jobId)
                .setState(StateChange.newBuilder().setState(job.getState()).setReason(job.getReason()))
                .build());
    }
}
