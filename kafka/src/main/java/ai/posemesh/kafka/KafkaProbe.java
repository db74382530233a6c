package ai.posemesh.kafka;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/**
 * Whether Kafka answers within a bound: the first question of each service's readiness check (the extension's own
 * check has no bound, so the services turn it off and ask this).
 *
 * @param brokers the brokers the cluster described, when it answered
 * @param problem null when Kafka answered; else "unreachable: " and why
 */
public record KafkaProbe(int brokers, String problem) {

    /** The services' readiness bound. */
    public static final Duration READINESS_BOUND = Duration.ofSeconds(3);

    /** Asks for the cluster's brokers within {@link #READINESS_BOUND}. */
    public static KafkaProbe ask(Admin admin) {
        return ask(admin, READINESS_BOUND);
    }

    /** Asks for the cluster's brokers within {@code bound} (the client gives up then; this waits a second more). */
    public static KafkaProbe ask(Admin admin, Duration bound) {
        try {
            int nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) bound.toMillis()))
                    .nodes()
                    .get(bound.toMillis() + 1000, TimeUnit.MILLISECONDS)
                    .size();
            return new KafkaProbe(nodes, null);
        } catch (Exception e) {
            return new KafkaProbe(0, "unreachable: " + e);
        }
    }

    public boolean answers() {
        return problem == null;
    }
}
