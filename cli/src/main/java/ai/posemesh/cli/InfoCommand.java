package ai.posemesh.cli;

import ai.posemesh.model.config.ConfigJson;
import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.io.Safetensors;
import ai.posemesh.model.rope.Rope;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "info",
        mixinStandardHelpOptions = true,
        description = "Describe an HF model directory: architecture, parameters, dtype, RoPE scaling, base and target "
                + "length. Reads config.json and the safetensors headers only (no weights are loaded).")
final class InfoCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private java.io.PrintWriter out() {
        return spec.commandLine().getOut();
    }

    @Option(names = "--model", required = true, description = "HF model directory.")
    Path model;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        LlamaConfig c = HfCheckpoint.readConfig(model);
        long params = 0;
        for (Path f : HfCheckpoint.weightFiles(model)) {
            params += Safetensors.header(f).entries().values().stream()
                    .mapToLong(Safetensors.Entry::numel)
                    .sum();
        }
        Set<String> dtypes = HfCheckpoint.weightDtypes(model);
        Double factor = c.rope().optDouble("factor");
        Rope.Frequencies f =
                Rope.frequencies(c.rope(), c.headDim(), c.maxPositionEmbeddings(), c.maxPositionEmbeddings());
        boolean hfLoadable = Rope.variant(c.rope()).hfLoadable();
        boolean tokenizer = Files.isRegularFile(model.resolve("tokenizer.json"));
        ObjectNode o = ConfigJson.MAPPER.createObjectNode();
        o.put("model", model.toString());
        o.put("architecture", "LlamaForCausalLM");
        o.put("parameters", params);
        o.put("dtype", String.join(",", dtypes));
        o.put("layers", c.numLayers());
        o.put("hidden_size", c.hiddenSize());
        o.put("intermediate_size", c.intermediateSize());
        o.put("heads", c.numHeads());
        o.put("kv_heads", c.numKvHeads());
        o.put("head_dim", c.headDim());
        o.put("vocab_size", c.vocabSize());
        o.put("tie_word_embeddings", c.tieWordEmbeddings());
        o.put("rope_type", c.rope().type());
        o.put("rope_theta", c.rope().theta());
        if (factor != null) {
            o.put("rope_factor", factor);
        }
        o.put("attention_factor", f.attentionFactor());
        o.put("base_length", c.originalMaxPositionEmbeddings());
        o.put("target_length", c.maxPositionEmbeddings());
        o.put("hf_loadable", hfLoadable);
        o.put("tokenizer", tokenizer);
        if (json) {
            out().println(ConfigJson.MAPPER.writeValueAsString(o));
            return 0;
        }
        out().printf("model           %s%n", model);
        out().printf(
                        "architecture    LlamaForCausalLM, %d layers, d=%d, ffn %d, %d heads / %d kv heads, "
                                + "head_dim %d%n",
                        c.numLayers(), c.hiddenSize(), c.intermediateSize(), c.numHeads(), c.numKvHeads(), c.headDim());
        out().printf(
                        "parameters      %,d (%s)%s%n",
                        params, String.join(", ", dtypes), c.tieWordEmbeddings() ? ", tied embeddings" : "");
        out().printf(
                        "vocabulary      %d%s%n",
                        c.vocabSize(),
                        tokenizer ? " (tokenizer.json present)" : " (no tokenizer.json: score with --ids-file)");
        out().printf(
                        "rope            %s%s, theta %s, attention factor %.6g%n",
                        c.rope().type(),
                        factor == null ? "" : " x" + factor,
                        c.rope().theta(),
                        f.attentionFactor());
        out().printf(
                        "length          base %d -> target %d tokens%n",
                        c.originalMaxPositionEmbeddings(), c.maxPositionEmbeddings());
        if (!hfLoadable) {
            out().printf(
                            "note            rope_type '%s' is posemesh's own: HF transformers cannot load it%n",
                            c.rope().type());
        }
        return 0;
    }
}
