package ai.posemesh.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Corpus.load: JSONL files, .txt folders, fetched families, and an error naming file and line for each failure. */
class CorpusTest {

    @TempDir
    Path tmp;

    Path jsonl(String name, String... lines) throws IOException {
        Path f = tmp.resolve(name);
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    CorpusException fails(String data) {
        CorpusException e = assertThrows(CorpusException.class, () -> Corpus.load(data, tmp.resolve("root")));
        assertEquals("data", e.field());
        assertEquals("data", e.field());
        return e;
    }

    void failsWith(Path file, String expected) {
        CorpusException e = fails(file.toString());
        assertTrue(e.getMessage().startsWith("data: " + file + expected), e.getMessage());
    }

    @Test
    void jsonlWithDefaults() throws IOException {
        Path f = jsonl(
                "c.jsonl",
                "{\"id\":\"a\",\"source\":\"s\",\"license\":\"CC0-1.0\",\"text\":\"alpha\"}",
                "",
                "{\"text\":\"beta \\u2603\",\"extra\":[1,2]}",
                "{\"id\":7,\"text\":\"\"}");
        List<Document> docs = Corpus.load(f.toString(), null);
        assertEquals(
                List.of(
                        new Document("a", "s", "CC0-1.0", "alpha"),
                        new Document("3", f.toString(), "unknown", "beta ☃")),
                docs); // id = line; empty text skipped
    }

    @Test
    void jsonlErrorsNameFileAndLine() throws IOException {
        String ok = "{\"text\":\"fine\"}";
        failsWith(jsonl("a.jsonl", ok, ok, "{\"text\": \"unterminated}"), ":3: malformed JSON");
        failsWith(jsonl("b.jsonl", ok, "{\"id\":\"x\"}"), ":2: missing \"text\"");
        failsWith(jsonl("c.jsonl", "{\"text\":42}"), ":1: \"text\" must be a string, not number");
        failsWith(jsonl("d.jsonl", "[1,2]"), ":1: expected a JSON object");
        failsWith(jsonl("e.jsonl", "{\"text\":\"a\"} {\"text\":\"b\"}"), ":1: malformed JSON");
        failsWith(
                jsonl("f.jsonl", "{\"id\":\"x\",\"text\":\"a\"}", "{\"id\":\"x\",\"text\":\"b\"}"),
                ":2: duplicate id \"x\" (first on line 1)");
        failsWith(jsonl("g.jsonl", "{\"id\":{\"a\":1},\"text\":\"a\"}"), ":1: \"id\" must be a string");
        failsWith(jsonl("h.jsonl", "", "  "), ": empty corpus (no documents)");
        failsWith(jsonl("i.jsonl", "{\"text\":\"\"}"), ": empty corpus (every document's text is empty)");
        Path bad = tmp.resolve("j.jsonl");
        Files.write(bad, ("{\"text\":\"ok\"}\n{\"text\":\"caf\u00ff\"}\n").getBytes(StandardCharsets.ISO_8859_1));
        failsWith(bad, ":2: not valid UTF-8");
        Path txt = Files.writeString(tmp.resolve("one.txt"), "a whole file is one document");
        assertEquals(
                List.of(new Document("one.txt", txt.toString(), "unknown", "a whole file is one document")),
                Corpus.load(txt.toString(), tmp));
        failsWith(Files.writeString(tmp.resolve("empty.txt"), ""), ": empty corpus (the file is empty)");
        Path notJsonl = Files.writeString(tmp.resolve("k.csv"), "a,b\n");
        failsWith(notJsonl, ": not a .jsonl file");
        failsWith(tmp.resolve("absent.jsonl"), ": no such file or directory");
    }

    @Test
    void txtFolder() throws IOException {
        Path dir = tmp.resolve("docs");
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("b.txt"), "bee");
        Files.writeString(dir.resolve("sub/a.txt"), "ay");
        Files.writeString(dir.resolve("a.txt"), "first");
        Files.writeString(dir.resolve("empty.txt"), "");
        Files.writeString(dir.resolve("notes.md"), "ignored");
        List<Document> docs = Corpus.load(dir.toString(), null);
        assertEquals(
                List.of("a.txt", "b.txt", "sub/a.txt"),
                docs.stream().map(Document::id).toList());
        assertEquals("ay", docs.get(2).text());

        Path none = Files.createDirectories(tmp.resolve("none"));
        Files.writeString(none.resolve("x.md"), "no txt");
        failsWith(none, ": empty corpus (no .txt files in this directory)");
        Path latin = Files.createDirectories(tmp.resolve("latin"));
        Files.write(latin.resolve("x.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9});
        assertTrue(fails(latin.toString()).getMessage().contains("x.txt: not valid UTF-8"));
    }

    @Test
    void familiesResolveUnderTheDataRoot() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.writeString(root.resolve("books.jsonl"), "{\"id\":\"austen/emma\",\"text\":\"EMMA\"}\n");
        assertEquals("austen/emma", Corpus.load("books", root).get(0).id());

        CorpusException e = fails("math");
        assertTrue(
                e.getMessage()
                        .contains("corpus family 'math' has not been fetched (" + root.resolve("math.jsonl")
                                + " does not exist); run ./pose data fetch --family math --out " + root),
                e.getMessage());
        CorpusException dflt = assertThrows(CorpusException.class, () -> Corpus.load("reports", Path.of(".pose/data")));
        assertTrue(dflt.getMessage().endsWith("run ./pose data fetch --family reports"), dflt.getMessage());
        assertTrue(fails("").getMessage().contains("no corpus given"));
    }
}
