package ai.posemesh.service.inference.grpc;

import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.proto.inference.v1.Capabilities;
import ai.posemesh.proto.inference.v1.Final;
import ai.posemesh.proto.inference.v1.FinishReason;
import ai.posemesh.proto.inference.v1.GenerateResponse;
import ai.posemesh.proto.inference.v1.ModelInfo;
import ai.posemesh.proto.inference.v1.PrefillProgress;
import ai.posemesh.proto.inference.v1.ScoreResponse;
import ai.posemesh.proto.inference.v1.Token;
import ai.posemesh.proto.inference.v1.TopLogprobs;
import ai.posemesh.proto.mapping.ModelMessages;
import ai.posemesh.serve.Prompt;
import ai.posemesh.serve.generate.GenerationResult;
import ai.posemesh.serve.generate.SamplingParams;
import ai.posemesh.serve.registry.LoadedModel;
import ai.posemesh.serve.score.ScoreChunk;
import ai.posemesh.serve.score.ScoreOptions;
import java.util.List;

/** Translation between inference.proto messages and the engine's types; nothing else. */
final class Messages {

    private Messages() {}

    static Prompt prompt(ai.posemesh.proto.inference.v1.Prompt p) {
        return switch (p.getKindCase()) {
            case TEXT -> Prompt.text(p.getText(), !p.hasAddSpecialTokens() || p.getAddSpecialTokens());
            case TOKENS -> Prompt.ids(ids(p.getTokens().getIdsList()));
            case KIND_NOT_SET -> Prompt.none();
        };
    }

    static long[] ids(List<Integer> ids) {
        long[] out = new long[ids.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ids.get(i);
        }
        return out;
    }

    /** Unset fields take the documented defaults. */
    static SamplingParams sampling(ai.posemesh.proto.inference.v1.SamplingParams p) {
        return new SamplingParams(
                p.hasMaxNewTokens() ? p.getMaxNewTokens() : SamplingParams.DEFAULT_MAX_NEW_TOKENS,
                p.hasTemperature() ? p.getTemperature() : SamplingParams.DEFAULT_TEMPERATURE,
                p.hasTopK() ? p.getTopK() : 0,
                p.hasTopP() ? p.getTopP() : 1.0,
                p.hasSeed() ? p.getSeed() : null,
                p.getStopList(),
                p.getIgnoreEos());
    }

    /** window 0 (or unset) is one pass; stride defaults to window / 2. */
    static ScoreOptions scoreOptions(ai.posemesh.proto.inference.v1.ScoreRequest r) {
        int window = r.hasWindow() ? r.getWindow() : 0;
        int stride = r.hasStride() ? r.getStride() : Math.max(1, window / 2);
        return new ScoreOptions(
                window,
                stride,
                r.hasChunkTokens() ? r.getChunkTokens() : ScoreOptions.DEFAULT_CHUNK_TOKENS,
                r.getTopLogprobs());
    }

    static GenerateResponse prefill(int done, int total) {
        return GenerateResponse.newBuilder()
                .setPrefill(PrefillProgress.newBuilder().setTokensDone(done).setTokensTotal(total))
                .build();
    }

    static GenerateResponse token(int id, String text, double logprob) {
        return GenerateResponse.newBuilder()
                .setToken(Token.newBuilder().setId(id).setText(text).setLogprob(logprob))
                .build();
    }

    static GenerateResponse fin(GenerationResult r) {
        return GenerateResponse.newBuilder()
                .setFinal(Final.newBuilder()
                        .setFinishReason(
                                switch (r.finishReason()) {
                                    case LENGTH -> FinishReason.FINISH_REASON_LENGTH;
                                    case STOP -> FinishReason.FINISH_REASON_STOP;
                                    case EOS -> FinishReason.FINISH_REASON_EOS;
                                    case CANCELLED -> FinishReason.FINISH_REASON_CANCELLED;
                                })
                        .setPromptTokens(r.promptTokens())
                        .setGeneratedTokens(r.generatedTokens())
                        .setTimeToFirstTokenMs(r.timeToFirstTokenMs())
                        .setPrefillTokensPerSecond(r.prefillTokensPerSecond())
                        .setDecodeTokensPerSecond(r.decodeTokensPerSecond())
                        .setStopSequence(r.stopSequence()))
                .build();
    }

    static ScoreResponse score(ScoreChunk c) {
        ScoreResponse.Builder b = ScoreResponse.newBuilder().setFirstTarget(c.firstTarget());
        for (int i = 0; i < c.size(); i++) {
            b.addLogprobs(c.logprobs()[i]).addGreedy(c.greedy()[i]);
            if (c.topIds() != null) {
                TopLogprobs.Builder t = b.addTopBuilder();
                for (int j = 0; j < c.topIds()[i].length; j++) {
                    t.addIds(c.topIds()[i][j]).addLogprobs(c.topLogprobs()[i][j]);
                }
            }
        }
        if (c.summary() != null) {
            b.getSummaryBuilder()
                    .setNllSum(c.summary().nllSum())
                    .setCount(c.summary().count())
                    .setPerplexity(c.summary().perplexity());
        }
        return b.build();
    }

    static ModelInfo modelInfo(LoadedModel m, long tokenBudget) {
        LlamaConfig c = m.config();
        ModelInfo.Builder b = ModelInfo.newBuilder()
                .setName(m.name())
                .setUri(m.uri())
                .setArchitecture(ModelMessages.architecture(c, m.llama().parameterCount()))
                .setMaxContext(m.maxContext())
                .setMaxPositionEmbeddings(m.maxPositionEmbeddings())
                .setBaseContext(m.baseContext())
                .setVocabSize(m.vocabSize())
                .setManifestSha256(m.manifestSha256())
                .setCapabilities(Capabilities.newBuilder()
                        .setMaxPromptTokens(m.maxContext() - 1)
                        .setMaxScoreTokens(m.maxContext())
                        .setTokenBudget(tokenBudget)
                        .setGenerateUpload(true)
                        .setSlidingWindowScore(true)
                        .setMaxTopLogprobs(ScoreOptions.MAX_TOP_LOGPROBS));
        if (c.bosTokenId() != null) {
            b.setBosTokenId(c.bosTokenId());
        }
        if (c.eosTokenIds().length > 0) {
            b.setEosTokenId(c.eosTokenIds()[0]);
        }
        return b.build();
    }
}
