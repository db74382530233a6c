package ai.posemesh.service.eval;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** {@code posemesh.eval.*} in application.properties. */
@ConfigMapping(prefix = "posemesh.eval")
public interface EvalConfig {

    Inference inference();

    Topics topics();

    /** The checkpoint topic's consumer group: replicas of one group share the checkpoints, each is evaluated once. */
    @WithDefault("posemesh-eval")
    String groupId();

    /** This replica's name; default: the host name (the pod name on Kubernetes). */
    Optional<String> replicaId();

    /** Where report folders go (served at /reports/). */
    Path reportsRoot();

    Suite suite();

    /**
     * Load the job's base model with max_context = the suite's longest length (perplexity and passkey), so it runs
     * every configured length, past its own window too: its perplexity there is what the checkpoints are compared
     * with. False: the base is served with its own window and its series stops there.
     */
    @WithDefault("true")
    boolean basePastWindow();

    Retry retry();

    /** The checkpoint consumer's max.poll.interval.ms (it keeps polling while it evaluates; matters in rebalances). */
    @WithDefault("15m")
    Duration maxPollInterval();

    Worker worker();

    interface Inference {
        /** host:port of the inference service's gRPC API. */
        String endpoint();
    }

    interface Topics {
        @WithDefault("posemesh.checkpoints.v1")
        String checkpoints();

        @WithDefault("posemesh.eval-results.v1")
        String results();

        @WithDefault("posemesh.checkpoints.dlq.v1")
        String dlq();

        @WithDefault("true")
        boolean create();

        /** Partitions of the checkpoint topic when this service creates it (the trainer usually does). */
        @WithDefault("3")
        int checkpointPartitions();

        @WithDefault("3")
        int resultPartitions();

        Optional<Short> replicationFactor();
    }

    interface Suite {
        Perplexity perplexity();

        Passkey passkey();

        interface Perplexity {
            List<Integer> lengths();

            Path corpus();

            @WithDefault("4")
            int docs();

            /** The sliding stride; 0 = half of each window. */
            @WithDefault("0")
            int stride();

            /** Documents of at least min-tokens − 1 tokens; 0 = the longest length. */
            @WithDefault("0")
            int minTokens();

            /** Documents cut to max-tokens − 1 tokens; 0 = the longest length. */
            @WithDefault("0")
            int maxTokens();

            @WithDefault("false")
            boolean truncate();
        }

        interface Passkey {
            List<Integer> lengths();

            @WithDefault("10")
            int trials();

            @WithDefault("0")
            long seed();

            @WithDefault("5")
            int depthBins();
        }
    }

    interface Retry {
        /** Tries of an event that fails for a reason of its own before it goes to the DLQ. */
        @WithDefault("3")
        int maxAttempts();

        @WithDefault("2s")
        Duration backoff();

        /** The longest wait between tries while the inference service is UNAVAILABLE. */
        @WithDefault("30s")
        Duration unavailableMaxBackoff();
    }

    interface Worker {
        @WithName("enabled")
        @WithDefault("true")
        boolean enabled();
    }
}
