package ai.posemesh.corpus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads a corpus for training or evaluation. {@code data} is one of:
 *
 * <ul>
 *   <li>a family name ({@code books}, {@code reports}, {@code math}, {@code general}): {@code dataRoot/<family>.jsonl},
 *       as written by {@code ./pose data fetch};
 *   <li>a path to a {@code .jsonl} file: one JSON object per line with at least a string {@code "text"}; {@code "id"}
 *       defaults to the line number, {@code "source"} to the file, {@code "license"} to {@code "unknown"};
 *   <li>a path to a {@code .txt} file: one document, id = the file name;
 *   <li>a directory: every {@code *.txt} file under it (recursively, sorted), id = the path relative to it.
 * </ul>
 *
 * Documents whose text is empty are skipped. Every failure is a {@link CorpusException} (field {@code data}) naming
 * the file, and the line for JSONL: a missing file or family, malformed JSON, a missing or
 * non-string {@code "text"}, a duplicate id, invalid UTF-8, or a corpus with no text at all.
 */
public final class Corpus {

    /** The corpus families {@code ./pose data fetch} builds, by name. */
    public static final List<String> FAMILIES = Family.names();

    private Corpus() {}

    public static List<Document> load(String data, Path dataRoot) {
        if (data == null || data.isBlank()) {
            throw fail("no corpus given: use a family (" + String.join(", ", FAMILIES)
                    + "), a .jsonl file, a .txt file or a directory of .txt files");
        }
        if (FAMILIES.contains(data)) {
            Path file = (dataRoot == null ? Path.of(".pose", "data") : dataRoot).resolve(data + ".jsonl");
            if (!Files.isRegularFile(file)) {
                String out = dataRoot == null || dataRoot.normalize().equals(Path.of(".pose", "data"))
                        ? ""
                        : " --out " + dataRoot;
                throw fail("corpus family '" + data + "' has not been fetched (" + file + " does not exist); run "
                        + "./pose data fetch --family " + data + out);
            }
            return loadJsonl(file);
        }
        Path path = Path.of(data);
        if (Files.isDirectory(path)) {
            return loadTxtDir(path);
        }
        if (Files.isRegularFile(path)) {
            String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
            if (name.endsWith(".txt")) {
                return loadTxt(path);
            }
            if (!name.endsWith(".jsonl")) {
                throw fail(path + ": not a .jsonl file (a corpus is a family name, a .jsonl file, a .txt file or a "
                        + "directory of .txt files)");
            }
            return loadJsonl(path);
        }
        throw fail(path + ": no such file or directory (a corpus is a family name: " + String.join(", ", FAMILIES)
                + "; a .jsonl file; a .txt file; or a directory of .txt files)");
    }

    /** Reads a JSONL corpus file (see the class comment). */
    public static List<Document> loadJsonl(Path file) {
        List<Document> docs = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean any = false;
        int lineNo = 0;
        try (InputStream in = Files.newInputStream(file)) {
            LineReader lines = new LineReader(in);
            CharsetDecoder utf8 = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            while (true) {
                byte[] bytes = lines.next(buf);
                if (bytes == null) {
                    break;
                }
                String line;
                try {
                    line = utf8.decode(ByteBuffer.wrap(bytes)).toString();
                } catch (CharacterCodingException e) {
                    throw fail(file + ":" + (lineNo + 1) + ": not valid UTF-8");
                }
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                any = true;
                JsonNode o;
                try {
                    o = Jsonl.MAPPER.readTree(line);
                } catch (JsonProcessingException e) {
                    throw fail(file + ":" + lineNo + ": malformed JSON: " + e.getOriginalMessage());
                }
                if (o == null || !o.isObject()) {
                    throw fail(file + ":" + lineNo + ": expected a JSON object with a \"text\" field");
                }
                JsonNode text = o.get("text");
                if (text == null || text.isNull()) {
                    throw fail(file + ":" + lineNo + ": missing \"text\"");
                }
                if (!text.isTextual()) {
                    throw fail(file + ":" + lineNo + ": \"text\" must be a string, not " + kind(text));
                }
                String id = field(o, "id", file, lineNo, String.valueOf(lineNo));
                Integer first = seen.putIfAbsent(id, lineNo);
                if (first != null) {
                    throw fail(file + ":" + lineNo + ": duplicate id \"" + id + "\" (first on line " + first + ")");
                }
                String source = field(o, "source", file, lineNo, file.toString());
                String license = field(o, "license", file, lineNo, "unknown");
                if (!text.textValue().isEmpty()) {
                    docs.add(new Document(id, source, license, text.textValue()));
                }
            }
        } catch (IOException e) {
            throw new CorpusException("data", file + ": cannot read: " + e, e);
        }
        if (docs.isEmpty()) {
            throw fail(file + ": empty corpus (" + (any ? "every document's text is empty" : "no documents") + ")");
        }
        return docs;
    }

    /** Reads every {@code *.txt} file under {@code dir} (UTF-8), sorted by relative path; id = that path. */
    public static List<Document> loadTxtDir(Path dir) {
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile)
                    .filter(p ->
                            p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".txt"))
                    .sorted((a, b) -> rel(dir, a).compareTo(rel(dir, b)))
                    .toList();
        } catch (IOException e) {
            throw new CorpusException("data", dir + ": cannot list: " + e, e);
        }
        if (files.isEmpty()) {
            throw fail(dir + ": empty corpus (no .txt files in this directory)");
        }
        List<Document> docs = new ArrayList<>();
        for (Path f : files) {
            String text = text(f);
            if (!text.isEmpty()) {
                docs.add(new Document(rel(dir, f), dir.toString(), "unknown", text));
            }
        }
        if (docs.isEmpty()) {
            throw fail(dir + ": empty corpus (every .txt file is empty)");
        }
        return docs;
    }

    /** Reads one {@code .txt} file (UTF-8) as one document: id = the file name, source = the path. */
    public static List<Document> loadTxt(Path file) {
        String text = text(file);
        if (text.isEmpty()) {
            throw fail(file + ": empty corpus (the file is empty)");
        }
        return List.of(new Document(file.getFileName().toString(), file.toString(), "unknown", text));
    }

    /** A text file's content, strictly UTF-8. */
    private static String text(Path f) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(f)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw fail(f + ": not valid UTF-8");
        } catch (IOException e) {
            throw new CorpusException("data", f + ": cannot read: " + e, e);
        }
    }

    /** Splits a byte stream at '\n' (dropping a '\r' before it), so each line is decoded on its own. */
    private static final class LineReader {
        private final InputStream in;
        private final byte[] buf = new byte[1 << 16];
        private int pos;
        private int limit;

        LineReader(InputStream in) {
            this.in = in;
        }

        /** The next line's bytes, or null at the end. */
        byte[] next(ByteArrayOutputStream line) throws IOException {
            line.reset();
            boolean any = false;
            while (true) {
                if (pos == limit) {
                    limit = in.read(buf);
                    pos = 0;
                    if (limit <= 0) {
                        limit = 0;
                        if (!any) {
                            return null;
                        }
                        break;
                    }
                }
                any = true;
                int start = pos;
                while (pos < limit && buf[pos] != '\n') {
                    pos++;
                }
                line.write(buf, start, pos - start);
                if (pos < limit) {
                    pos++; // the '\n'
                    break;
                }
            }
            byte[] b = line.toByteArray();
            return b.length > 0 && b[b.length - 1] == '\r' ? java.util.Arrays.copyOf(b, b.length - 1) : b;
        }
    }

    private static String field(JsonNode o, String name, Path file, int lineNo, String dflt) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isValueNode()) {
            throw fail(file + ":" + lineNo + ": \"" + name + "\" must be a string, not " + kind(v));
        }
        return v.asText();
    }

    private static String kind(JsonNode n) {
        return n.getNodeType().toString().toLowerCase(Locale.ROOT);
    }

    private static String rel(Path dir, Path f) {
        return dir.relativize(f).toString().replace(java.io.File.separatorChar, '/');
    }

    private static CorpusException fail(String message) {
        return new CorpusException("data", message);
    }
}
