package ai.posemesh.corpus.fetch;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Writes R serializations (XDR) and lazy-load databases the way R does, for tests: the header, SEXP flags
 * (type | object | attributes | tag | levels), CHARSXP encoding bits, symbols written once and referenced after
 * (REFSXP), attribute pairlists, and the .rdx/.rdb pair with zlib blobs behind a 4-byte big-endian length.
 */
final class RFixtures {

    /** One value to write. */
    interface Item {
        void write(RFixtures w) throws IOException;
    }

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final DataOutputStream out = new DataOutputStream(bytes);
    private final Map<String, Integer> symbols = new HashMap<>();
    private int refs;

    static byte[] serialize(int version, Item item) {
        RFixtures w = new RFixtures();
        try {
            w.out.writeBytes("X\n");
            w.out.writeInt(version);
            w.out.writeInt(0x040201); // written by R 4.2.1
            w.out.writeInt(version == 3 ? 0x030500 : 0x020300);
            if (version == 3) {
                w.out.writeInt(5);
                w.out.writeBytes("UTF-8");
            }
            item.write(w);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.bytes.toByteArray();
    }

    // ---- items ----

    static Item nil() {
        return w -> w.out.writeInt(RSerial.NILVALUE_SXP);
    }

    /** A character vector; null elements are NA; non-ASCII strings are marked UTF-8, like R does. */
    static Item strings(List<String> values, Map<String, Item> attrs) {
        return w -> {
            w.out.writeInt(RSerial.STRSXP | (attrs.isEmpty() ? 0 : RSerial.HAS_ATTR));
            w.out.writeInt(values.size());
            for (String s : values) {
                w.charsxp(s);
            }
            w.attributes(attrs);
        };
    }

    static Item strings(String... values) {
        return strings(java.util.Arrays.asList(values), Map.of());
    }

    static Item ints(int type, int[] values, Map<String, Item> attrs) {
        return w -> {
            w.out.writeInt(type | (attrs.isEmpty() ? 0 : RSerial.HAS_ATTR));
            w.out.writeInt(values.length);
            for (int v : values) {
                w.out.writeInt(v);
            }
            w.attributes(attrs);
        };
    }

    static Item reals(double... values) {
        return w -> {
            w.out.writeInt(RSerial.REALSXP);
            w.out.writeInt(values.length);
            for (double v : values) {
                w.out.writeDouble(v);
            }
        };
    }

    /** A list; with names when {@code names} is not null. */
    static Item list(List<Item> elems, List<String> names) {
        return w -> {
            w.out.writeInt(RSerial.VECSXP | (names == null ? 0 : RSerial.HAS_ATTR));
            w.out.writeInt(elems.size());
            for (Item e : elems) {
                e.write(w);
            }
            if (names != null) {
                w.attributes(Map.of("names", strings(names, Map.of())));
            }
        };
    }

    /** ALTREP compact integer sequence start..start+n-1, as R >= 3.5 writes 1:n. */
    static Item compactIntSeq(int n, int start) {
        return w -> {
            w.out.writeInt(RSerial.ALTREP_SXP);
            // info: pairlist(class symbol, package symbol, type)
            w.out.writeInt(RSerial.LISTSXP);
            w.symbol("compact_intseq");
            w.out.writeInt(RSerial.LISTSXP);
            w.symbol("base");
            w.out.writeInt(RSerial.LISTSXP);
            ints(RSerial.INTSXP, new int[] {RSerial.INTSXP}, Map.of()).write(w);
            w.out.writeInt(RSerial.NILVALUE_SXP);
            reals(n, start, 1).write(w); // state
            w.out.writeInt(RSerial.NILVALUE_SXP); // attributes
        };
    }

    // ---- pieces ----

    private void charsxp(String s) throws IOException {
        if (s == null) {
            out.writeInt(RSerial.CHARSXP);
            out.writeInt(-1);
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        boolean ascii = b.length == s.length() && s.chars().allMatch(c -> c < 128);
        out.writeInt(RSerial.CHARSXP | ((ascii ? RSerial.ASCII_MASK : RSerial.UTF8_MASK) << 12));
        out.writeInt(b.length);
        out.write(b);
    }

    private void symbol(String name) throws IOException {
        Integer ref = symbols.get(name);
        if (ref != null) {
            out.writeInt((ref << 8) | RSerial.REFSXP);
            return;
        }
        out.writeInt(RSerial.SYMSXP);
        charsxp(name);
        symbols.put(name, ++refs);
    }

    private void attributes(Map<String, Item> attrs) throws IOException {
        if (attrs.isEmpty()) {
            return;
        }
        for (Map.Entry<String, Item> e : attrs.entrySet()) {
            out.writeInt(RSerial.LISTSXP | RSerial.HAS_TAG);
            symbol(e.getKey());
            e.getValue().write(this);
        }
        out.writeInt(RSerial.NILVALUE_SXP);
    }

    // ---- lazy-load databases ----

    /** A .rdx/.rdb pair. */
    record Db(byte[] rdx, byte[] rdb) {}

    /**
     * A lazy-load DB holding character vectors. {@code compressed}: 1 (TRUE: length + zlib), 2 or 3 (length + type
     * byte {@code type} + data); the index is gzipped, as R's saveRDS does.
     */
    static Db lazyLoad(Map<String, List<String>> objects, int compressed, char type) {
        ByteArrayOutputStream rdb = new ByteArrayOutputStream();
        List<Item> keys = new ArrayList<>();
        List<String> names = new ArrayList<>(objects.keySet());
        for (List<String> v : objects.values()) {
            byte[] ser = serialize(3, strings(v, Map.of()));
            byte[] blob = blob(ser, compressed, type);
            keys.add(ints(RSerial.INTSXP, new int[] {rdb.size(), blob.length}, Map.of()));
            rdb.writeBytes(blob);
        }
        Item idx = list(
                List.of(
                        list(keys, names),
                        list(List.of(), List.of()),
                        compressed == 1
                                ? ints(RSerial.LGLSXP, new int[] {1}, Map.of())
                                : ints(RSerial.INTSXP, new int[] {compressed}, Map.of())),
                List.of("variables", "references", "compressed"));
        return new Db(gzip(serialize(3, idx)), rdb.toByteArray());
    }

    static byte[] blob(byte[] ser, int compressed, char type) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int n = ser.length;
        b.writeBytes(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
        if (compressed != 1) {
            b.write(type);
        }
        b.writeBytes(compressed == 1 || type == 'Z' ? zlib(ser) : ser);
        return b.toByteArray();
    }

    static byte[] zlib(byte[] data) {
        Deflater d = new Deflater(6);
        d.setInput(data);
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        while (!d.finished()) {
            out.write(buf, 0, d.deflate(buf));
        }
        d.end();
        return out.toByteArray();
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(out)) {
            g.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
