package ai.posemesh.service.inference;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;
import java.util.OptionalInt;

/** {@code posemesh.inference.*} in application.properties. */
@ConfigMapping(prefix = "posemesh.inference")
public interface InferenceConfig {

    /** Models loaded at start-up: comma-separated "name=path" or "path" (absolute, relative or file:// URI). */
    Optional<String> models();

    /** Tokens that running requests may hold in KV caches at once (Generate: prompt + max_new_tokens each). */
    @WithDefault("262144")
    long tokenBudget();

    /** Tokens per prefill chunk: bounds a chunk's activations and attention mask. */
    @WithDefault("512")
    int prefillChunk();

    /** Threads running model work at once; default: the available processors. */
    OptionalInt workers();
}
