package ai.posemesh.service.trainer.kafka;

import ai.posemesh.kafka.Acknowledged;
import ai.posemesh.kafka.KafkaWriteException;
import ai.posemesh.proto.events.v1.CheckpointPublished;
import ai.posemesh.proto.trainer.v1.JobInfo;
import ai.posemesh.proto.trainer.v1.JobStatusRecord;
import ai.posemesh.proto.trainer.v1.TrainJobRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.jboss.logging.Logger;

/**
 * Everything the trainer writes to Kafka, through one idempotent producer (acks=all). The synchronous methods return
 * once the broker acknowledged the record: callers rely on that ordering (status before job record, checkpoint event
 * before the next step's status, terminal status before the job's offset commit).
 */
public final class TrainerRecords implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TrainerRecords.class);

    private final Producer<String, byte[]> producer;
    private final String jobsTopic;
    private final String statusTopic;
    private final String checkpointsTopic;

    public TrainerRecords(
            Producer<String, byte[]> producer, String jobsTopic, String statusTopic, String checkpointsTopic) {
        this.producer = producer;
        this.jobsTopic = jobsTopic;
        this.statusTopic = statusTopic;
        this.checkpointsTopic = checkpointsTopic;
    }

    /** Queues a job (key = job id). */
    public RecordMetadata queueJob(TrainJobRecord job) throws KafkaWriteException {
        return Acknowledged.send(
                producer, new ProducerRecord<>(jobsTopic, job.getJobId(), job.toByteArray()), "job " + job.getJobId());
    }

    /** Writes a job's status snapshot (key = job id) and waits for the broker. */
    public RecordMetadata writeStatus(JobInfo job) throws KafkaWriteException {
        return Acknowledged.send(producer, statusRecord(job), "status of " + job.getJobId());
    }

    /** Writes a status snapshot without waiting (progress); a failure is logged, the next snapshot supersedes it. */
    public void writeStatusLater(JobInfo job) {
        try {
            producer.send(statusRecord(job), (md, e) -> {
                if (e != null) {
                    LOG.warnf("progress of %s not written: %s", job.getJobId(), e.toString());
                }
            });
        } catch (org.apache.kafka.common.KafkaException e) {
            LOG.warnf("progress of %s not written: %s", job.getJobId(), e.toString());
        }
    }

    /** Publishes CheckpointPublished (key = checkpoint id) and waits for the broker. */
    public RecordMetadata publishCheckpoint(CheckpointPublished event) throws KafkaWriteException {
        return Acknowledged.send(
                producer,
                new ProducerRecord<>(checkpointsTopic, event.getCheckpointId(), event.toByteArray()),
                "CheckpointPublished " + event.getCheckpointId());
    }

    private ProducerRecord<String, byte[]> statusRecord(JobInfo job) {
        return new ProducerRecord<>(
                statusTopic,
                job.getJobId(),
                JobStatusRecord.newBuilder().setJob(job).build().toByteArray());
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(10));
    }
}
