package ai.posemesh.corpus.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** npm's .tgz archives, unpacked in Java: ustar (with prefix), GNU long names, pax headers, and refusals. */
class TarTest {

    @TempDir
    Path tmp;

    Path fixture(String name) throws IOException {
        Path p = tmp.resolve(name);
        try (InputStream in = TarTest.class.getResourceAsStream("/data/tar/" + name)) {
            Files.copy(in, p);
        }
        return p;
    }

    @Test
    void gnuAndPaxLongNames() throws IOException {
        String longName = "package/data/" + "a_very_long_directory_name_".repeat(3) + "/"
                + "and_a_long_file_name_".repeat(3) + ".txt";
        for (String f : new String[] {"gnu.tgz", "pax.tgz"}) {
            Path dest = Files.createDirectories(tmp.resolve(f + ".out"));
            assertEquals(5, Tar.extractTgz(fixture(f), dest), f);
            assertEquals(
                    "{\"name\":\"x\",\"version\":\"1.0.0\"}\n", Files.readString(dest.resolve("package/package.json")));
            assertEquals("x".repeat(1500) + "\n", Files.readString(dest.resolve("package/data/big.txt")));
            assertEquals("", Files.readString(dest.resolve("package/empty.txt")));
            assertEquals("long name\n", Files.readString(dest.resolve(longName)), f);
            assertEquals("unicode name\n", Files.readString(dest.resolve("package/café ☃.txt")), f);
            assertFalse(Files.exists(dest.resolve("package/link")), "links are skipped");
        }
    }

    @Test
    void ustarPrefix() throws IOException {
        Path dest = Files.createDirectories(tmp.resolve("u"));
        Tar.extractTgz(fixture("ustar.tgz"), dest);
        assertEquals("ustar prefix\n", Files.readString(dest.resolve("package/" + "p".repeat(100) + "/prefixed.txt")));
    }

    @Test
    void entriesOutsideTheDestinationAreRefused() throws IOException {
        Path dest = Files.createDirectories(tmp.resolve("a/b"));
        IOException e = assertThrows(IOException.class, () -> Tar.extractTgz(fixture("evil.tgz"), dest));
        assertTrue(e.getMessage().contains("would be written outside"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("evil.txt")));
        Path notGzip = Files.writeString(tmp.resolve("x.tgz"), "plain text");
        assertThrows(IOException.class, () -> Tar.extractTgz(notGzip, dest));
    }
}
