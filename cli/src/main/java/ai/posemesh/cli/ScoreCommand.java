package ai.posemesh.cli;

import ai.djl.ndarray.NDManager;
import ai.posemesh.cli.PoseCommand.CliException;
import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.Engines;
import ai.posemesh.model.config.ConfigJson;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.score.TokenScorer;
import ai.posemesh.model.tokenizer.TextTokenizer;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "score",
        mixinStandardHelpOptions = true,
        description = {
            "Exact token log-probabilities of a sequence. Prints one JSON object:",
            "  {\"tokens\":N,\"count\":C,\"nll_sum\":x,\"ppl\":y,\"token_logprobs\":[...]}",
            "token_logprobs[i] = ln p(token i+1 | tokens 0..i); ppl = exp(nll_sum / count).",
            "Without --window the whole sequence is one context (chunked prefill over a KV cache when long).",
            "With --window W --stride S (S < W): HF-style sliding windows, every token scored once."
        })
final class ScoreCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private java.io.PrintWriter out() {
        return spec.commandLine().getOut();
    }

    @Option(names = "--model", required = true, description = "HF model directory.")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--ids-file", description = "Whitespace-separated token ids.")
        Path idsFile;

        @Option(
                names = "--text-file",
                description = "UTF-8 text, tokenized with the model's tokenizer.json (adds BOS).")
        Path textFile;
    }

    @Option(names = "--window", description = "Sliding-window length W in tokens.")
    Integer window;

    @Option(names = "--stride", description = "Sliding-window stride S, 1 <= S < W (default: W/2).")
    Integer stride;

    @Option(
            names = "--prefill-chunk",
            defaultValue = "4096",
            description = "Tokens per forward chunk; bounds memory (default: ${DEFAULT-VALUE}).")
    int prefillChunk;

    @Override
    public Integer call() throws IOException {
        if (stride != null && window == null) {
            throw new CliException("--stride needs --window");
        }
        TokenScorer.Options opts = window == null
                ? TokenScorer.Options.onePass()
                : TokenScorer.Options.sliding(window, stride != null ? stride : Math.max(1, window / 2));
        opts = opts.withPrefillChunk(prefillChunk);
        long[] ids = input.idsFile != null ? readIds(input.idsFile) : tokenize(model, input.textFile);
        try (NDManager m = Engines.newManager();
                Llama llama = HfCheckpoint.load(model, m)) {
            TokenScorer.Result r;
            try {
                r = TokenScorer.score(llama, ids, opts);
            } catch (CheckpointException e) {
                // request errors (ids[i], window, stride) are about the input file or the options: say which
                Path in = input.idsFile != null ? input.idsFile : input.textFile;
                throw e.file() == null && e.field() != null && e.field().startsWith("ids")
                        ? new CliException(in + ": " + e.getMessage())
                        : e;
            }
            ObjectNode o = ConfigJson.MAPPER.createObjectNode();
            o.put("tokens", r.tokens());
            o.put("count", r.count());
            o.put("nll_sum", r.nllSum());
            o.put("ppl", r.ppl());
            ArrayNode lp = o.putArray("token_logprobs");
            for (double v : r.tokenLogprobs()) {
                lp.add(v);
            }
            out().println(ConfigJson.ONE_LINE.writeValueAsString(o));
        }
        return 0;
    }

    static long[] readIds(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CliException(file + ": file not found");
        } catch (IOException e) {
            throw new CliException(file + ": cannot be read: " + e.getMessage());
        }
        String[] parts = text.trim().isEmpty() ? new String[0] : text.trim().split("\\s+");
        long[] ids = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Long.parseLong(parts[i]);
            } catch (NumberFormatException e) {
                throw new CliException(
                        file + ": token " + i + " ('" + abbreviate(parts[i]) + "') is not an integer id");
            }
        }
        return ids;
    }

    static long[] tokenize(Path modelDir, Path textFile) {
        String text = readText(textFile);
        try (TextTokenizer tok = TextTokenizer.load(modelDir)) {
            return tok.encode(text, true);
        }
    }

    /** A UTF-8 text file, strictly decoded; a missing, unreadable or non-UTF-8 file is a CLI error naming it. */
    static String readText(Path textFile) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(textFile)))
                    .toString();
        } catch (NoSuchFileException e) {
            throw new CliException(textFile + ": file not found");
        } catch (CharacterCodingException e) {
            throw new CliException(textFile + ": is not valid UTF-8");
        } catch (IOException e) {
            throw new CliException(textFile + ": cannot be read: " + e.getMessage());
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 20 ? s.substring(0, 20) + "..." : s;
    }
}
