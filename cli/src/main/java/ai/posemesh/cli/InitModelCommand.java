package ai.posemesh.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.posemesh.cli.PoseCommand.CliException;
import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.Engines;
import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.config.RopeParameters;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.rope.Rope;
import ai.posemesh.model.tokenizer.ByteLevelTokenizer;
import ai.posemesh.model.tokenizer.TokenizerFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "init-model",
        mixinStandardHelpOptions = true,
        description = {
            "Write a randomly initialised LLaMA as a complete HF directory (config.json, model.safetensors, "
                    + "generation_config.json, byte-level tokenizer.json + tokenizer_config.json).",
            "HF's initialisation (normal 0.02, unit norms); deterministic for a given --seed."
        })
final class InitModelCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private java.io.PrintWriter out() {
        return spec.commandLine().getOut();
    }

    @Option(names = "--out", required = true, description = "Output directory (must be empty or absent).")
    Path out;

    @Option(names = "--layers", defaultValue = "4", description = "Decoder layers (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--hidden", defaultValue = "256", description = "Hidden size d (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--heads", defaultValue = "8", description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--kv-heads", description = "Key/value heads for GQA (default: --heads).")
    Integer kvHeads;

    @Option(names = "--head-dim", description = "Head dimension (default: hidden / heads).")
    Integer headDim;

    @Option(names = "--intermediate", description = "SwiGLU width (default: 8d/3 rounded up to a multiple of 16).")
    Integer intermediate;

    @Option(
            names = "--max-pos",
            defaultValue = "256",
            description = "max_position_embeddings: the context the checkpoint declares (default: ${DEFAULT-VALUE}).")
    int maxPos;

    @Option(
            names = "--rope-type",
            defaultValue = "default",
            description = "default, linear, dynamic, ntk, yarn, yarn-pose, llama3 (default: ${DEFAULT-VALUE}).")
    String ropeType;

    @Option(names = "--rope-factor", description = "Scaling factor s (required by every type except default).")
    Double ropeFactor;

    @Option(
            names = "--original-max-pos",
            description = "original_max_position_embeddings (default: max-pos / rope-factor).")
    Integer originalMaxPos;

    @Option(names = "--rope-theta", defaultValue = "10000", description = "RoPE base (default: ${DEFAULT-VALUE}).")
    double ropeTheta;

    @Option(
            names = "--rope-param",
            paramLabel = "KEY=VALUE",
            description =
                    "Extra RoPE field, e.g. beta_fast=32, low_freq_factor=1, attention_factor=1.2, truncate=false.")
    Map<String, String> ropeParams = new LinkedHashMap<>();

    @Option(
            names = "--rms-norm-eps",
            defaultValue = "1e-6",
            description = "RMSNorm epsilon (default: ${DEFAULT-VALUE}).")
    double rmsNormEps;

    @Option(names = "--tie", description = "Tie the output head to the token embedding.")
    boolean tie;

    @Option(
            names = "--dtype",
            defaultValue = "float32",
            description = "float32 or bfloat16 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(
            names = "--tokenizer",
            paramLabel = "FILE",
            description = "A tokenizer.json to use (with <s> and </s> special tokens; the vocabulary size follows "
                    + "it). Default: the byte-level tokenizer (259 ids).")
    Path tokenizer;

    @Option(names = "--seed", defaultValue = "0", description = "Initialisation seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--init-std",
            defaultValue = "0.02",
            description = "Std of the normal initialisation, HF's initializer_range (default: ${DEFAULT-VALUE}).")
    double initStd;

    @Override
    public Integer call() throws Exception {
        if (Files.exists(out) && (!Files.isDirectory(out) || !isEmpty(out))) {
            throw new CliException(out + ": exists and is not an empty directory; refusing to overwrite it");
        }
        DataType type = switch (dtype.toLowerCase()) {
            case "float32", "f32", "fp32" -> DataType.FLOAT32;
            case "bfloat16", "bf16" -> DataType.BFLOAT16;
            default -> throw new CliException("--dtype: expected float32 or bfloat16, got '" + dtype + "'");
        };
        TokenizerFiles.Specials vocab = tokenizer == null
                ? new TokenizerFiles.Specials(
                        ByteLevelTokenizer.VOCAB_SIZE,
                        ByteLevelTokenizer.BOS,
                        ByteLevelTokenizer.EOS,
                        ByteLevelTokenizer.PAD)
                : inspectTokenizer();
        LlamaConfig config = config(vocab);
        try (NDManager m = Engines.newManager();
                Llama model = Llama.random(config, seed, initStd, m.newSubManager())) {
            HfCheckpoint.save(model, out, type);
            if (tokenizer == null) {
                ByteLevelTokenizer.write(out, maxPos);
            } else {
                TokenizerFiles.install(tokenizer, out, maxPos);
            }
            out().printf(
                            "wrote %s: %,d parameters, %d layers, d=%d, rope %s%s, max_position_embeddings %d%n",
                            out,
                            model.parameterCount(),
                            layers,
                            hidden,
                            config.rope().type(),
                            ropeFactor == null ? "" : " x" + ropeFactor,
                            maxPos);
        }
        return 0;
    }

    private TokenizerFiles.Specials inspectTokenizer() {
        if (!Files.isRegularFile(tokenizer)) {
            throw new CliException("--tokenizer " + tokenizer + ": file not found");
        }
        try {
            return TokenizerFiles.inspect(tokenizer);
        } catch (CheckpointException e) {
            throw new CliException("--tokenizer " + e.getMessage());
        }
    }

    LlamaConfig config(TokenizerFiles.Specials vocab) {
        for (int[] v : new int[][] {{layers}, {hidden}, {heads}, {maxPos}}) {
            if (v[0] <= 0) {
                throw new CliException("--layers, --hidden, --heads and --max-pos must be positive");
            }
        }
        int kv = kvHeads == null ? heads : kvHeads;
        if (kv <= 0 || heads % kv != 0) {
            throw new CliException("--kv-heads " + kv + " must divide --heads " + heads);
        }
        if (headDim == null && hidden % heads != 0) {
            throw new CliException(
                    "--hidden " + hidden + " is not divisible by --heads " + heads + "; give --head-dim");
        }
        int hd = headDim != null ? headDim : hidden / heads;
        int ff = intermediate != null ? intermediate : LlamaConfig.defaultIntermediateSize(hidden);
        Map<String, Object> extra = new LinkedHashMap<>();
        if (!ropeType.equals("default")) {
            if (ropeFactor == null) {
                throw new CliException("--rope-type " + ropeType + " needs --rope-factor");
            }
            extra.put("factor", ropeFactor);
            boolean readsOriginal = Rope.find(ropeType)
                    .map(Rope.Variant::readsOriginalMaxPositionEmbeddings)
                    .orElse(false);
            if (readsOriginal || originalMaxPos != null) {
                extra.put(
                        "original_max_position_embeddings",
                        originalMaxPos != null ? originalMaxPos : (int) Math.round(maxPos / ropeFactor));
            }
            if (ropeType.equals("llama3")) {
                extra.put("low_freq_factor", 1.0); // LLaMA-3.1's values unless overridden
                extra.put("high_freq_factor", 4.0);
            }
        }
        ropeParams.forEach((k, v) -> extra.put(k, parseValue(v)));
        RopeParameters rope = RopeParameters.of(ropeType, ropeTheta, extra);
        return new LlamaConfig(
                vocab.vocabSize(),
                hidden,
                ff,
                layers,
                heads,
                kv,
                hd,
                maxPos,
                rmsNormEps,
                tie,
                false,
                false,
                vocab.bos(),
                new int[] {vocab.eos()},
                vocab.pad() >= 0 ? vocab.pad() : null,
                "float32",
                rope);
    }

    private static Object parseValue(String v) {
        if (v.equals("true") || v.equals("false")) {
            return Boolean.parseBoolean(v);
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new CliException("--rope-param value '" + v + "' is not a number or true/false");
        }
    }

    private static boolean isEmpty(Path dir) throws java.io.IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
