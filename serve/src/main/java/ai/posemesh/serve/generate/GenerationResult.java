package ai.posemesh.serve.generate;

/**
 * How a generation ended, with its timings. {@code generatedTokens} counts every token the model produced, including
 * an EOS token and the tokens that spelled a stop sequence. Time to first token runs from when the request was
 * prepared (tokenized and admitted) to the first token; decode speed counts the tokens after the first.
 */
public record GenerationResult(
        FinishReason finishReason,
        int promptTokens,
        int generatedTokens,
        double timeToFirstTokenMs,
        double prefillTokensPerSecond,
        double decodeTokensPerSecond,
        String stopSequence) {}
