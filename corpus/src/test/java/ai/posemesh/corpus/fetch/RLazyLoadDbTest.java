package ai.posemesh.corpus.fetch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.corpus.fetch.RSerial.RObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** R serialization and lazy-load databases, read without R. */
class RLazyLoadDbTest {

    @TempDir
    Path tmp;

    static final Map<String, List<String>> NOVELS = new LinkedHashMap<>();

    static {
        NOVELS.put("emma", Arrays.asList("EMMA", "", "By Jane Austen", "", "CHAPTER I", "Emma Woodhouse, handsome,"));
        NOVELS.put("persuasion", Arrays.asList("PERSUASION", null, "Sir Walter Elliot, of Kellynch Hall — café ☃"));
    }

    Path write(RFixtures.Db db) throws IOException {
        Files.write(tmp.resolve("Rdata.rdx"), db.rdx());
        Files.write(tmp.resolve("Rdata.rdb"), db.rdb());
        return tmp.resolve("Rdata");
    }

    @Test
    void readsCharacterVectorsFromZlibBlobs() throws IOException {
        RLazyLoadDb db = RLazyLoadDb.open(write(RFixtures.lazyLoad(NOVELS, 1, 'Z')));
        assertEquals(List.of("emma", "persuasion"), db.names());
        assertEquals(NOVELS.get("emma"), db.strings("emma"));
        // NA becomes "", UTF-8 survives
        assertEquals(
                List.of("PERSUASION", "", "Sir Walter Elliot, of Kellynch Hall — café ☃"), db.strings("persuasion"));
    }

    @Test
    void readsTypedBlobsAndRefusesXz() throws IOException {
        assertEquals(
                NOVELS.get("emma"),
                RLazyLoadDb.open(write(RFixtures.lazyLoad(NOVELS, 2, 'Z'))).strings("emma"));
        assertEquals(
                NOVELS.get("emma"),
                RLazyLoadDb.open(write(RFixtures.lazyLoad(NOVELS, 2, '0'))).strings("emma"));
        RLazyLoadDb xz = RLazyLoadDb.open(write(RFixtures.lazyLoad(NOVELS, 3, 'X')));
        IOException e = assertThrows(IOException.class, () -> xz.strings("emma"));
        assertTrue(e.getMessage().contains("Rdata.rdb: object 'emma': compressed with xz"), e.getMessage());
    }

    @Test
    void errorsNameTheFileAndObject() throws IOException {
        RLazyLoadDb db = RLazyLoadDb.open(write(RFixtures.lazyLoad(NOVELS, 1, 'Z')));
        IOException missing = assertThrows(IOException.class, () -> db.strings("mobydick"));
        assertTrue(
                missing.getMessage().contains("no object 'mobydick' (it has: emma, persuasion)"), missing.getMessage());

        byte[] rdb = Files.readAllBytes(tmp.resolve("Rdata.rdb"));
        rdb[10] ^= 0x55; // corrupt the first zlib stream
        Files.write(tmp.resolve("Rdata.rdb"), rdb);
        IOException corrupt = assertThrows(IOException.class, () -> db.strings("emma"));
        assertTrue(corrupt.getMessage().contains("Rdata.rdb: object 'emma'"), corrupt.getMessage());

        Files.write(tmp.resolve("Rdata.rdx"), new byte[] {1, 2, 3});
        IOException badIndex = assertThrows(IOException.class, () -> RLazyLoadDb.open(tmp.resolve("Rdata")));
        assertTrue(badIndex.getMessage().contains("Rdata.rdx"), badIndex.getMessage());

        Files.delete(tmp.resolve("Rdata.rdb"));
        IOException gone = assertThrows(IOException.class, () -> RLazyLoadDb.open(tmp.resolve("Rdata.rdx")));
        assertTrue(gone.getMessage().contains("Rdata.rdb: no such file"), gone.getMessage());
    }

    /** The real indexes shipped by r-cran-janeaustenr 1.0.0-1 and r-cran-tokenizers 0.3.0-1 (saveRDS: gzip). */
    @Test
    void readsRealPackageIndexes() throws IOException {
        RObject jane = RSerial.unserialize(RLazyLoadDb.decodeIndex(resource("janeaustenr.rdx")));
        Map<String, RObject> parts = jane.namedList();
        assertEquals(List.of("variables", "references", "compressed"), List.copyOf(parts.keySet()));
        Map<String, RObject> vars = parts.get("variables").namedList();
        assertEquals(
                List.of("emma", "mansfieldpark", "northangerabbey", "persuasion", "prideprejudice", "sensesensibility"),
                List.copyOf(vars.keySet()));
        assertArrayEquals(new long[] {0, 0x55f2b}, vars.get("emma").longs());
        assertArrayEquals(
                new long[] {0x145dfb, 0x4113c}, vars.get("sensesensibility").longs());
        assertArrayEquals(new int[] {1}, (int[]) parts.get("compressed").data()); // TRUE: zlib

        RObject tok = RSerial.unserialize(RLazyLoadDb.decodeIndex(resource("tokenizers.rdx")));
        Map<String, RObject> tv = tok.namedList().get("variables").namedList();
        assertArrayEquals(new long[] {0, 0x7ce9b}, tv.get("mobydick").longs());
    }

    @Test
    void unserializesVersion2AltrepAndReferences() throws IOException {
        byte[] v2 = RFixtures.serialize(2, RFixtures.strings("a", null, "ü"));
        assertArrayEquals(new String[] {"a", null, "ü"}, RSerial.unserialize(v2).strings());

        // a data-frame-like list: names + row.names as compact 1:3, symbols referenced the second time
        byte[] df = RFixtures.serialize(
                3,
                RFixtures.list(
                        List.of(
                                RFixtures.strings("x", "y", "z"),
                                RFixtures.ints(
                                        RSerial.INTSXP,
                                        new int[] {1, 2, 3},
                                        Map.of("names", RFixtures.strings("p", "q", "r")))),
                        List.of("names", "counts")));
        RObject o = RSerial.unserialize(df);
        assertArrayEquals(
                new String[] {"p", "q", "r"}, o.namedList().get("counts").names());

        RObject seq = RSerial.unserialize(RFixtures.serialize(3, RFixtures.compactIntSeq(4, 7)));
        assertArrayEquals(new int[] {7, 8, 9, 10}, (int[]) seq.data());

        RSerial.RFormatException truncated = assertThrows(
                RSerial.RFormatException.class, () -> RSerial.unserialize(Arrays.copyOf(v2, v2.length - 3)));
        assertTrue(truncated.getMessage().contains("truncated"), truncated.getMessage());
        RSerial.RFormatException ascii =
                assertThrows(RSerial.RFormatException.class, () -> RSerial.unserialize("A\n3\n".getBytes()));
        assertTrue(ascii.getMessage().contains("only XDR"), ascii.getMessage());
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = RLazyLoadDbTest.class.getResourceAsStream("/data/r/" + name)) {
            return in.readAllBytes();
        }
    }
}
