package ai.posemesh.testkit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/** A real broker for {@code @QuarkusTest}s (see {@link TestKafka}); it lives until the test JVM exits. */
public class KafkaTestResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        return Map.of("kafka.bootstrap.servers", TestKafka.bootstrapServers());
    }

    @Override
    public void stop() {
        // shared with the other tests of this JVM; a shutdown hook stops it
    }
}
