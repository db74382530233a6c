package ai.posemesh.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code <out>/manifest.json}: what {@code ./pose data fetch} built. Per family: the JSONL file, its sha256, document
 * and character counts (Unicode code points), how many documents reach 32k and 128k characters, documents per
 * source, the builder version, and every package used (registry, name, version, archive file, sha256).
 */
public final class Manifest {

    public static final String FILE = "manifest.json";
    static final int FORMAT = 1;

    /** One downloaded package archive. {@code file} is relative to the output directory. */
    public record PackageInfo(String registry, String name, String version, String file, String sha256) {}

    /** One built family. */
    public record Entry(
            int builder,
            String file,
            String sha256,
            long documents,
            long chars,
            long documentsAtLeast32k,
            long documentsAtLeast128k,
            Map<String, Long> sources,
            List<PackageInfo> packages,
            String rule) {}

    private final Map<Family, Entry> families = new EnumMap<>(Family.class);

    public Entry get(Family f) {
        return families.get(f);
    }

    public void put(Family f, Entry e) {
        families.put(f, e);
    }

    public Map<Family, Entry> families() {
        return families;
    }

    /** The sha256 recorded for a cached archive (any family), or null. */
    public String knownSha256(String file) {
        for (Entry e : families.values()) {
            for (PackageInfo p : e.packages()) {
                if (p.file().equals(file)) {
                    return p.sha256();
                }
            }
        }
        return null;
    }

    /** Reads {@code dir/manifest.json}; an absent file is an empty manifest. */
    public static Manifest read(Path dir) throws IOException {
        Manifest m = new Manifest();
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return m;
        }
        JsonNode root;
        try {
            root = Jsonl.MAPPER.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + ": malformed JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode fams = root == null ? null : root.get("families");
        if (fams == null || !fams.isObject()) {
            return m;
        }
        for (Family f : Family.values()) {
            JsonNode e = fams.get(f.id());
            if (e == null || !e.isObject()) {
                continue;
            }
            List<PackageInfo> pkgs = new ArrayList<>();
            for (JsonNode p : e.path("packages")) {
                pkgs.add(new PackageInfo(
                        p.path("registry").asText(),
                        p.path("name").asText(),
                        p.path("version").asText(),
                        p.path("file").asText(),
                        p.path("sha256").asText()));
            }
            Map<String, Long> sources = new LinkedHashMap<>();
            e.path("sources")
                    .properties()
                    .forEach(s -> sources.put(s.getKey(), s.getValue().asLong()));
            m.put(
                    f,
                    new Entry(
                            e.path("builder").asInt(),
                            e.path("file").asText(),
                            e.path("sha256").asText(),
                            e.path("documents").asLong(),
                            e.path("chars").asLong(),
                            e.path("documents_ge_32k").asLong(),
                            e.path("documents_ge_128k").asLong(),
                            sources,
                            pkgs,
                            e.path("rule").asText(null)));
        }
        return m;
    }

    /** Writes {@code dir/manifest.json} (atomically: a temporary file, then a rename). */
    public void write(Path dir) throws IOException {
        ObjectNode root = Jsonl.MAPPER.createObjectNode();
        root.put("format", FORMAT);
        ObjectNode fams = root.putObject("families");
        for (Map.Entry<Family, Entry> me : families.entrySet()) {
            Entry e = me.getValue();
            ObjectNode o = fams.putObject(me.getKey().id());
            o.put("file", e.file());
            o.put("sha256", e.sha256());
            o.put("documents", e.documents());
            o.put("chars", e.chars());
            o.put("documents_ge_32k", e.documentsAtLeast32k());
            o.put("documents_ge_128k", e.documentsAtLeast128k());
            ObjectNode s = o.putObject("sources");
            e.sources().forEach(s::put);
            ArrayNode pkgs = o.putArray("packages");
            for (PackageInfo p : e.packages()) {
                ObjectNode po = pkgs.addObject();
                po.put("registry", p.registry());
                po.put("name", p.name());
                po.put("version", p.version());
                po.put("file", p.file());
                po.put("sha256", p.sha256());
            }
            if (e.rule() != null) {
                o.put("rule", e.rule());
            }
            o.put("builder", e.builder());
        }
        Path tmp = dir.resolve(FILE + ".tmp");
        Files.writeString(tmp, Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
        Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
