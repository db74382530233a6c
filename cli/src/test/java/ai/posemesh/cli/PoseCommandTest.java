package ai.posemesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.model.config.ConfigJson;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The CLI in-process, as a user drives it: real files, real model, exit codes and messages. */
class PoseCommandTest {

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = PoseCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    Path tinyModel(String... extra) {
        Path dir = tmp.resolve("m");
        String[] base = {
            "init-model",
            "--out",
            dir.toString(),
            "--layers",
            "2",
            "--hidden",
            "64",
            "--heads",
            "4",
            "--kv-heads",
            "2",
            "--max-pos",
            "512",
            "--rope-type",
            "yarn",
            "--rope-factor",
            "4",
            "--seed",
            "1"
        };
        String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(base), java.util.Arrays.stream(extra))
                .toArray(String[]::new);
        Run r = run(args);
        assertEquals(0, r.code(), r.err());
        return dir;
    }

    @Test
    void initInfoScore() throws Exception {
        Path dir = tinyModel("--dtype", "bf16");
        for (String f : new String[] {
            "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json"
        }) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        JsonNode info = ConfigJson.MAPPER.readTree(
                run("info", "--model", dir.toString(), "--json").out());
        assertEquals("yarn", info.get("rope_type").asText());
        assertEquals(4.0, info.get("rope_factor").asDouble());
        assertEquals(128, info.get("base_length").asInt());
        assertEquals(512, info.get("target_length").asInt());
        assertEquals("BF16", info.get("dtype").asText());
        assertEquals(2, info.get("kv_heads").asInt());

        Path ids = tmp.resolve("ids.txt");
        Files.writeString(ids, "256 72 101 108\n108 111 33");
        Run r = run("score", "--model", dir.toString(), "--ids-file", ids.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode score = ConfigJson.MAPPER.readTree(r.out());
        assertEquals(7, score.get("tokens").asInt());
        assertEquals(6, score.get("token_logprobs").size());
        double sum = 0;
        for (JsonNode v : score.get("token_logprobs")) {
            sum -= v.asDouble();
        }
        assertEquals(sum, score.get("nll_sum").asDouble(), 1e-9);
        assertEquals(Math.exp(sum / 6), score.get("ppl").asDouble(), 1e-9);

        // the same text through the tokenizer gives the same ids (BOS + bytes), hence the same scores
        Path text = tmp.resolve("t.txt");
        Files.writeString(text, "Hello!");
        JsonNode viaText =
                ConfigJson.MAPPER.readTree(run("score", "--model", dir.toString(), "--text-file", text.toString())
                        .out());
        assertEquals(score.get("token_logprobs"), viaText.get("token_logprobs"));
    }

    @Test
    void badInputIsOneClearLineAndExitCode2() throws Exception {
        Path dir = tinyModel();
        Path ids = tmp.resolve("ids.txt");
        Files.writeString(ids, "256 12 abc");
        assertError(
                run("score", "--model", dir.toString(), "--ids-file", ids.toString()),
                ids.toString(),
                "token 2 ('abc') is not an integer");
        Files.writeString(ids, "256 12 999");
        assertError(
                run("score", "--model", dir.toString(), "--ids-file", ids.toString()),
                ids.toString(),
                "ids[2]",
                "outside the vocabulary");
        assertError(
                run("score", "--model", tmp.resolve("nope").toString(), "--ids-file", ids.toString()),
                "model directory not found");
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 64,");
        assertError(run("info", "--model", dir.toString()), "config.json", "not valid JSON");
        assertError(run("init-model", "--out", dir.toString()), "refusing to overwrite");
        Path other = tmp.resolve("other");
        assertError(
                run("init-model", "--out", other.toString(), "--rope-type", "warp", "--rope-factor", "2"),
                "unknown rope_type 'warp'");
        assertError(run("init-model", "--out", other.toString(), "--rope-type", "linear"), "needs --rope-factor");
        assertTrue(run("score", "--model", dir.toString()).code() != 0, "missing input option is a usage error");
    }

    @Test
    void benchGeneratePrintsOneRow() throws Exception {
        Path dir = tinyModel();
        Run r = run(
                "bench-generate",
                "--model",
                dir.toString(),
                "--prompt-tokens",
                "200",
                "--new-tokens",
                "8",
                "--prefill-chunk",
                "64",
                "--warmup-tokens",
                "0");
        assertEquals(0, r.code(), r.err());
        // | prompt tokens | prefill s | prefill tok/s | time to first token s | decode tok/s | KV cache MB | peak RSS
        // MB |
        // KV cache: 2 · 2 layers · 2 kv heads · head_dim 16 · 4 bytes · (200 + 8) tokens = 0.1 MB
        assertTrue(
                r.out()
                        .matches("\\| 200 \\| \\d+\\.\\d\\d \\| \\d+ \\| \\d+\\.\\d\\d \\| \\d+\\.\\d \\| 0\\.1 "
                                + "\\| \\d+ \\|\\R"),
                r.out());
        Run j = run(
                "bench-generate",
                "--model",
                dir.toString(),
                "--prompt-tokens",
                "100",
                "--new-tokens",
                "4",
                "--warmup-tokens",
                "0",
                "--json");
        assertEquals(0, j.code(), j.err());
        var o = ai.posemesh.model.config.ConfigJson.MAPPER.readTree(j.out());
        assertEquals(100, o.get("prompt_tokens").asInt());
        assertEquals(4, o.get("new_tokens").asInt());
        for (String k : new String[] {"prefill_s", "prefill_tok_per_s", "ttft_s", "decode_tok_per_s", "peak_rss_mb"}) {
            assertTrue(o.get(k).isNumber() && o.get(k).asDouble() > 0, k + " in " + j.out());
        }
        assertEquals(
                2.0 * 2 * 2 * 16 * 4 * 104 / 1048576.0, o.get("kv_cache_mb").asDouble(), 1e-12);
        assertError(
                run("bench-generate", "--model", dir.toString(), "--prompt-tokens", "510", "--new-tokens", "8"),
                "max_position_embeddings 512 < 510 prompt + 8 new tokens",
                "--max-pos");
        assertError(run("bench-generate", "--model", tmp.resolve("nope").toString()), "model directory not found");
    }

    static void assertError(Run r, String... mentions) {
        assertEquals(PoseCommand.EXIT_BAD_INPUT, r.code(), r.out() + r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace for bad input: " + r.err());
        for (String m : mentions) {
            assertTrue(r.err().contains(m), "'" + r.err() + "' should mention " + m);
        }
    }
}
