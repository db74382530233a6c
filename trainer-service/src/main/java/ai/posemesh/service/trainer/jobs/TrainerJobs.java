package ai.posemesh.service.trainer.jobs;

import ai.posemesh.kafka.KafkaWriteException;
import ai.posemesh.proto.trainer.v1.JobInfo;
import ai.posemesh.proto.trainer.v1.JobSpec;
import ai.posemesh.proto.trainer.v1.JobState;
import ai.posemesh.proto.trainer.v1.SubmitJobResponse;
import ai.posemesh.proto.trainer.v1.TrainJobRecord;
import ai.posemesh.service.trainer.TrainerSettings;
import ai.posemesh.service.trainer.kafka.TrainerRecords;
import ai.posemesh.train.TrainException;
import ai.posemesh.train.TrainSpec;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.stream.Stream;

/** What the Trainer API does, without gRPC: queue, cancel, list. Any replica answers for every job. */
public final class TrainerJobs {

    private final TrainerSettings settings;
    private final TrainerRecords records;
    private final JobStatusView view;

    public TrainerJobs(TrainerSettings settings, TrainerRecords records, JobStatusView view) {
        this.settings = settings;
        this.records = records;
        this.view = view;
    }

    /**
     * Validates the spec, then writes the job's QUEUED status and its job record (in that order, so a replica that
     * takes the record already finds the status).
     *
     * @throws TrainException INVALID_ARGUMENT / FAILED_PRECONDITION, naming the field
     * @throws KafkaWriteException the job could not be queued
     */
    public SubmitJobResponse submit(JobSpec requested) throws KafkaWriteException {
        String jobId = JobStates.newJobId();
        return queue(jobId, validate(requested, jobId));
    }

    /**
     * The spec as it will run (defaults filled, absolute paths), checked by {@link TrainSpec#validate()} and against
     * the file system (the base is an HF directory with a readable config.json).
     *
     * @throws TrainException INVALID_ARGUMENT / FAILED_PRECONDITION, naming the field
     */
    public JobSpec validate(JobSpec requested, String jobId) {
        JobSpec spec = JobSpecs.resolve(requested, jobId, settings.checkpointRoot());
        TrainSpec train = JobSpecs.toTrainSpec(spec).validate();
        JobSpecs.checkBase(train.base());
        return spec;
    }

    /** Queues a validated job: its QUEUED status, then its job record. */
    public SubmitJobResponse queue(String jobId, JobSpec spec) throws KafkaWriteException {
        long now = System.currentTimeMillis();
        JobInfo queued = JobInfo.newBuilder()
                .setJobId(jobId)
                .setSpec(spec)
                .setState(JobState.JOB_STATE_QUEUED)
                .setSubmittedAtMs(now)
                .setUpdatedAtMs(now)
                .build();
        records.writeStatus(queued);
        view.applyLocal(queued);
        try {
            records.queueJob(TrainJobRecord.newBuilder()
                    .setJobId(jobId)
                    .setSpec(spec)
                    .setSubmittedAtMs(now)
                    .setSubmittedBy(settings.replicaId())
                    .build());
        } catch (KafkaWriteException e) {
            JobInfo failed = queued.toBuilder()
                    .setState(JobState.JOB_STATE_FAILED)
                    .setReason("could not be queued: " + e.getMessage())
                    .setUpdatedAtMs(System.currentTimeMillis())
                    .build();
            try {
                records.writeStatus(failed);
            } catch (KafkaWriteException ignored) {
                // the QUEUED status stays behind without a job record; the caller got an error
            }
            view.applyLocal(failed);
            throw e;
        }
        return SubmitJobResponse.newBuilder().setJobId(jobId).setSpec(spec).build();
    }

    /**
     * A queued job becomes CANCELLED at once; a running one gets cancel_requested, and its replica stops it after
     * the current step and records CANCELLED. A finished job is returned as it is.
     *
     * @throws NoSuchElementException unknown job
     */
    public JobInfo cancel(String jobId, String reason) throws KafkaWriteException, InterruptedException {
        view.sync(Duration.ofSeconds(5));
        JobInfo known = view.get(jobId);
        if (known == null) {
            throw new NoSuchElementException("no job " + jobId);
        }
        if (JobStates.terminal(known.getState())) {
            return known;
        }
        String why = reason == null || reason.isBlank() ? "cancelled on request" : "cancelled: " + reason;
        JobInfo.Builder b =
                known.toBuilder().setCancelRequested(true).setReason(why).setUpdatedAtMs(System.currentTimeMillis());
        if (known.getState() == JobState.JOB_STATE_QUEUED && known.getAttempts() == 0) {
            b.setState(JobState.JOB_STATE_CANCELLED); // its record is skipped when a replica reads it
        }
        JobInfo cancelled = b.build();
        records.writeStatus(cancelled);
        view.applyLocal(cancelled);
        return view.get(jobId);
    }

    public JobInfo get(String jobId) {
        return view.get(jobId);
    }

    /** Newest first; {@code states} empty = all; {@code limit} 0 = all. */
    public List<JobInfo> list(Collection<JobState> states, int limit) {
        Stream<JobInfo> s = view.all().stream()
                .filter(j -> states.isEmpty() || states.contains(j.getState()))
                .sorted(Comparator.comparingLong(JobInfo::getSubmittedAtMs)
                        .reversed()
                        .thenComparing(JobInfo::getJobId, Comparator.reverseOrder()));
        return (limit > 0 ? s.limit(limit) : s).toList();
    }
}
