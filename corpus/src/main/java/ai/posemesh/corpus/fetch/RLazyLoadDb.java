package ai.posemesh.corpus.fetch;

import ai.posemesh.corpus.fetch.RSerial.RFormatException;
import ai.posemesh.corpus.fetch.RSerial.RObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * An R lazy-load database, as R packages ship their {@code data/}: {@code Rdata.rdx} (the index: a serialized list
 * of {@code variables} — name → (offset, length) in the .rdb —, {@code references} and {@code compressed}) and
 * {@code Rdata.rdb} (the objects, each an R serialization compressed on its own). Blobs are compressed per the
 * index's {@code compressed} flag: {@code TRUE} = a 4-byte big-endian length then a zlib stream; 2 or 3 = the length,
 * a type byte ('Z' zlib, '0' stored, '2' bzip2, 'X' xz) and the data. zlib and stored are read; bzip2 and xz are
 * refused with a message. The index itself is a gzip-compressed serialization ({@code saveRDS}), or raw.
 */
public final class RLazyLoadDb {

    private final Path rdb;
    private final Map<String, long[]> variables;
    private final int compression;

    private RLazyLoadDb(Path rdb, Map<String, long[]> variables, int compression) {
        this.rdb = rdb;
        this.variables = variables;
        this.compression = compression;
    }

    /** Opens {@code base.rdx} + {@code base.rdb}; {@code base} may be given with or without either extension. */
    public static RLazyLoadDb open(Path base) throws IOException {
        String name = base.getFileName().toString();
        String stem = name.endsWith(".rdx") || name.endsWith(".rdb") ? name.substring(0, name.length() - 4) : name;
        Path rdx = base.resolveSibling(stem + ".rdx");
        Path rdb = base.resolveSibling(stem + ".rdb");
        for (Path p : new Path[] {rdx, rdb}) {
            if (!Files.isRegularFile(p)) {
                throw new IOException(p + ": no such file (an R lazy-load database is a .rdx + .rdb pair)");
            }
        }
        RObject index;
        try {
            index = RSerial.unserialize(decodeIndex(Files.readAllBytes(rdx)));
        } catch (RFormatException e) {
            throw new IOException(rdx + ": " + e.getMessage(), e);
        }
        try {
            Map<String, RObject> parts = index.namedList();
            RObject vars = parts.get("variables");
            if (vars == null) {
                throw new RFormatException("no 'variables' in the index");
            }
            Map<String, long[]> keys = new LinkedHashMap<>();
            for (Map.Entry<String, RObject> e : vars.namedList().entrySet()) {
                long[] k = e.getValue().longs();
                if (k.length != 2) {
                    throw new RFormatException("key of '" + e.getKey() + "' has " + k.length + " numbers, not 2");
                }
                keys.put(e.getKey(), k);
            }
            RObject c = parts.get("compressed");
            int compression = 1;
            if (c != null && c.data() instanceof int[] a && a.length > 0) {
                compression = a[0];
            } else if (c != null && c.data() instanceof double[] a && a.length > 0) {
                compression = (int) a[0];
            }
            return new RLazyLoadDb(rdb, keys, compression);
        } catch (RFormatException e) {
            throw new IOException(rdx + ": not an R lazy-load index: " + e.getMessage(), e);
        }
    }

    /** The object names, in index order. */
    public List<String> names() {
        return new ArrayList<>(variables.keySet());
    }

    /** Reads and unserializes one object. */
    RObject get(String name) throws IOException {
        long[] key = variables.get(name);
        if (key == null) {
            throw new IOException(rdb + ": no object '" + name + "' (it has: " + String.join(", ", names()) + ")");
        }
        byte[] blob = new byte[Math.toIntExact(key[1])];
        try (RandomAccessFile f = new RandomAccessFile(rdb.toFile(), "r")) {
            if (key[0] + key[1] > f.length()) {
                throw new IOException(rdb + ": object '" + name + "' lies past the end of the file");
            }
            f.seek(key[0]);
            f.readFully(blob);
        }
        try {
            return RSerial.unserialize(decompress(blob));
        } catch (RFormatException e) {
            throw new IOException(rdb + ": object '" + name + "': " + e.getMessage(), e);
        }
    }

    /** The character vector {@code name} (NA elements become empty strings). */
    public List<String> strings(String name) throws IOException {
        RObject o = get(name);
        String[] s;
        try {
            s = o.strings();
        } catch (RFormatException e) {
            throw new IOException(rdb + ": object '" + name + "': " + e.getMessage(), e);
        }
        List<String> out = new ArrayList<>(s.length);
        for (String x : s) {
            out.add(x == null ? "" : x);
        }
        return out;
    }

    private byte[] decompress(byte[] blob) throws RFormatException {
        if (blob.length < 4) {
            throw new RFormatException("blob of " + blob.length + " bytes is too short");
        }
        int outLen = ((blob[0] & 0xFF) << 24) | ((blob[1] & 0xFF) << 16) | ((blob[2] & 0xFF) << 8) | (blob[3] & 0xFF);
        if (outLen < 0) {
            throw new RFormatException("bad uncompressed length " + outLen);
        }
        if (compression == 0) {
            return blob;
        }
        if (compression == 1) {
            return RSerial.inflate(blob, 4, blob.length - 4, outLen);
        }
        if (blob.length < 5) {
            throw new RFormatException("blob of " + blob.length + " bytes is too short");
        }
        char type = (char) blob[4];
        return switch (type) {
            case 'Z' -> RSerial.inflate(blob, 5, blob.length - 5, outLen);
            case '0' -> java.util.Arrays.copyOfRange(blob, 5, blob.length);
            case '2' -> throw new RFormatException("compressed with bzip2, which this reader does not support");
            case 'X' -> throw new RFormatException("compressed with xz, which this reader does not support");
            default -> throw new RFormatException("unknown compression type '" + type + "'");
        };
    }

    /** The .rdx bytes as a serialization: gunzipped if gzip, inflated if a length-prefixed zlib blob, else raw. */
    static byte[] decodeIndex(byte[] b) throws RFormatException {
        if (b.length >= 2 && (b[0] & 0xFF) == 0x1f && (b[1] & 0xFF) == 0x8b) {
            try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(b))) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new RFormatException("corrupt gzip: " + e.getMessage());
            }
        }
        if (b.length >= 2 && b[0] == 'X' && b[1] == '\n') {
            return b;
        }
        if (b.length > 6 && (b[4] & 0x0F) == 8) { // 4-byte length + zlib header (CM = deflate)
            int outLen = ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
            return RSerial.inflate(b, 4, b.length - 4, outLen);
        }
        throw new RFormatException("not an R serialization (neither gzip, zlib nor XDR)");
    }
}
