package ai.posemesh.service.eval.suites;

import ai.posemesh.evaluation.config.SuiteConfig;
import ai.posemesh.evaluation.passkey.PasskeyPrompt;
import ai.posemesh.evaluation.report.ReportData;
import ai.posemesh.model.config.ConfigJson;
import ai.posemesh.proto.inference.v1.CountTokensRequest;
import ai.posemesh.proto.inference.v1.GenerateRequest;
import ai.posemesh.proto.inference.v1.GenerateResponse;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.Prompt;
import ai.posemesh.proto.inference.v1.SamplingParams;
import ai.posemesh.proto.inference.v1.ScoreRequest;
import ai.posemesh.proto.inference.v1.ScoreResponse;
import ai.posemesh.proto.inference.v1.TokenIds;
import ai.posemesh.proto.inference.v1.TokenizeRequest;
import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.Channel;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * INTERIM: the suites over the Inference API until the evaluation library's RemoteBackend lands (then this class goes
 * and {@link SuiteRunner} adapts the library). Perplexity: per length L, the first {@code docs} documents with at
 * least L tokens (BOS included), each scored in one pass over its first L tokens; ppl = exp(Σ nll / Σ count).
 * Passkey: the reference prompt (PasskeyPrompt) with the most filler that fits L tokens, key and depth drawn from
 * Random(seed ^ L), greedy 10 tokens, pass if the first number generated is the key.
 */
public final class GrpcSuiteRunner implements SuiteRunner {

    private static final Pattern DIGITS = Pattern.compile("\\d+");

    @Override
    public Results run(Channel channel, String model, ModelLabel label, SuiteConfig suite, Progress progress)
            throws SuiteException {
        InferenceGrpc.InferenceBlockingStub inference = InferenceGrpc.newBlockingStub(channel);
        long t0 = System.nanoTime();
        List<ReportData.Ppl> ppl = perplexity(inference, model, suite, progress);
        long t1 = System.nanoTime();
        List<ReportData.Trial> trials = new ArrayList<>();
        List<ReportData.Passkey> passkey = passkey(inference, model, label, suite, trials, progress);
        long t2 = System.nanoTime();
        return new Results(ppl, passkey, trials, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }

    private List<ReportData.Ppl> perplexity(
            InferenceGrpc.InferenceBlockingStub inference, String model, SuiteConfig suite, Progress progress)
            throws SuiteException {
        List<ReportData.Ppl> out = new ArrayList<>();
        if (suite.pplLengths().length == 0) {
            return out;
        }
        int longest = suite.pplLengths()[suite.pplLengths().length - 1];
        List<long[]> docs = documents(inference, model, Path.of(suite.corpus()), longest);
        for (int length : suite.pplLengths()) {
            double nll = 0;
            long count = 0;
            int used = 0;
            for (long[] ids : docs) {
                if (used == suite.docs()) {
                    break;
                }
                if (ids.length < length) {
                    continue;
                }
                progress.update("perplexity " + length, used, suite.docs());
                TokenIds.Builder t = TokenIds.newBuilder();
                for (int i = 0; i < length; i++) {
                    t.addIds((int) ids[i]);
                }
                Iterator<ScoreResponse> it = inference.score(ScoreRequest.newBuilder()
                        .setModel(model)
                        .setInput(Prompt.newBuilder().setTokens(t))
                        .build());
                while (it.hasNext()) {
                    ScoreResponse r = it.next();
                    if (r.hasSummary()) {
                        nll += r.getSummary().getNllSum();
                        count += r.getSummary().getCount();
                    }
                }
                used++;
            }
            if (used == 0) {
                throw new SuiteException("perplexity.corpus: " + suite.corpus() + " has no document of " + length
                        + " tokens or more for this model's tokenizer");
            }
            out.add(new ReportData.Ppl(length, Math.exp(nll / count), count, used));
        }
        return out;
    }

    /** Token ids of the corpus' documents (their first {@code longest} tokens, as many as can matter). */
    private static List<long[]> documents(
            InferenceGrpc.InferenceBlockingStub inference, String model, Path corpus, int longest)
            throws SuiteException {
        List<long[]> docs = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(corpus, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = in.readLine()) != null && n < 1000) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode doc = ConfigJson.MAPPER.readTree(line);
                String text = doc.path("text").asText("");
                // a token is at least one character in every tokenizer posemesh meets; 16 per token is plenty
                text = text.length() > longest * 16 ? text.substring(0, longest * 16) : text;
                List<Integer> ids = inference
                        .tokenize(TokenizeRequest.newBuilder()
                                .setModel(model)
                                .setText(text)
                                .setAddSpecialTokens(true)
                                .build())
                        .getIdsList();
                docs.add(ids.stream().mapToLong(Integer::longValue).toArray());
                n++;
            }
        } catch (IOException e) {
            throw new SuiteException("perplexity.corpus: cannot read " + corpus + " (" + e.getMessage() + ")");
        }
        return docs;
    }

    private List<ReportData.Passkey> passkey(
            InferenceGrpc.InferenceBlockingStub inference,
            String model,
            ModelLabel label,
            SuiteConfig suite,
            List<ReportData.Trial> log,
            Progress progress)
            throws SuiteException {
        List<ReportData.Passkey> out = new ArrayList<>();
        for (int length : suite.passkeyLengths()) {
            int n = fillerUnits(inference, model, length);
            if (n < 0) {
                throw new SuiteException("passkey.lengths: " + length + " tokens cannot hold the passkey prompt");
            }
            Random rng = new Random(suite.seed() ^ length);
            int passed = 0;
            for (int t = 0; t < suite.trials(); t++) {
                progress.update("passkey " + length, t, suite.trials());
                int key = 1 + rng.nextInt(50000);
                int x = rng.nextInt(n + 1);
                String prompt = PasskeyPrompt.build(key, x, n - x);
                StringBuilder got = new StringBuilder();
                int promptTokens = 0;
                Iterator<GenerateResponse> it = inference.generate(GenerateRequest.newBuilder()
                        .setModel(model)
                        .setPrompt(Prompt.newBuilder().setText(prompt))
                        .setSampling(SamplingParams.newBuilder()
                                .setMaxNewTokens(10)
                                .setTemperature(0)
                                .setIgnoreEos(false))
                        .build());
                while (it.hasNext()) {
                    GenerateResponse r = it.next();
                    if (r.hasToken()) {
                        got.append(r.getToken().getText());
                    } else if (r.hasFinal()) {
                        promptTokens = r.getFinal().getPromptTokens();
                    }
                }
                Matcher m = DIGITS.matcher(got);
                boolean ok = m.find() && m.group().equals(String.valueOf(key));
                passed += ok ? 1 : 0;
                log.add(new ReportData.Trial(
                        label.name(),
                        label.manifestSha256(),
                        label.rope(),
                        length,
                        promptTokens,
                        n == 0 ? 0 : (double) x / n,
                        t,
                        String.valueOf(key),
                        got.toString(),
                        ok));
            }
            out.add(new ReportData.Passkey(length, suite.trials(), passed, (double) passed / suite.trials()));
        }
        return out;
    }

    /** The largest filler count whose prompt (BOS included, a 5-digit key) fits in {@code length} tokens; −1 if none. */
    private static int fillerUnits(InferenceGrpc.InferenceBlockingStub inference, String model, int length) {
        int lo = -1, hi = length; // tokens(lo) fits (or lo = -1), tokens(hi) does not: a filler unit is > 1 token
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            int tokens = inference
                    .countTokens(CountTokensRequest.newBuilder()
                            .setModel(model)
                            .setPrompt(Prompt.newBuilder().setText(PasskeyPrompt.build(50000, mid, 0)))
                            .build())
                    .getTokens();
            if (tokens <= length) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
