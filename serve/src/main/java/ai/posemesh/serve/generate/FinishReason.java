package ai.posemesh.serve.generate;

/** Why generation ended (FinishReason in inference.proto). */
public enum FinishReason {
    /** max_new_tokens reached. */
    LENGTH,
    /** The generated text contains a stop sequence. */
    STOP,
    /** The model produced its end-of-sequence token. */
    EOS,
    /** The client cancelled, or its deadline passed. */
    CANCELLED
}
