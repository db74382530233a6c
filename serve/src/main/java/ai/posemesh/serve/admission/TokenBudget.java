package ai.posemesh.serve.admission;

import ai.posemesh.serve.InferenceException;
import ai.posemesh.serve.InferenceException.Reason;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Admission control: the tokens that running requests may hold in KV caches at once. A request reserves what it can
 * grow to (generation: prompt + max_new_tokens; scoring: the tokens in one context) before any memory is allocated,
 * and releases it when it ends, however it ends. A request that does not fit is refused at once with
 * RESOURCE_EXHAUSTED: the server never queues into an out-of-memory.
 */
public final class TokenBudget {

    private final long capacity;
    private long inUse;

    public TokenBudget(long capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("token budget must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * @param what the request, for the message (e.g. "prompt 4000 + max_new_tokens 100")
     * @throws InferenceException TOKEN_BUDGET_EXHAUSTED when it does not fit now
     */
    public synchronized Reservation reserve(long tokens, String what) {
        if (tokens > capacity - inUse) {
            String why = tokens > capacity
                    ? "it exceeds the server's whole token budget of " + capacity + "; ask for fewer tokens"
                    : inUse + " of the server's " + capacity + " tokens are held by running requests; retry later"
                            + " or ask for fewer tokens";
            throw new InferenceException(
                    Reason.TOKEN_BUDGET_EXHAUSTED,
                    "the request needs " + tokens + " tokens (" + what + ") but " + why,
                    InferenceException.meta(
                            "requested_tokens", tokens, "budget_tokens", capacity, "in_use_tokens", inUse));
        }
        inUse += tokens;
        return new Reservation(tokens);
    }

    public synchronized long inUse() {
        return inUse;
    }

    public long capacity() {
        return capacity;
    }

    private synchronized void release(long tokens) {
        inUse -= tokens;
    }

    /** Tokens held by one request; closing it (once or more) gives them back. */
    public final class Reservation implements AutoCloseable {
        private final long tokens;
        private final AtomicBoolean released = new AtomicBoolean();

        private Reservation(long tokens) {
            this.tokens = tokens;
        }

        public long tokens() {
            return tokens;
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                release(tokens);
            }
        }
    }
}
