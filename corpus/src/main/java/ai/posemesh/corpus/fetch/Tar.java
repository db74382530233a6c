package ai.posemesh.corpus.fetch;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Extracts a gzip-compressed tar archive (npm's {@code .tgz}): regular files and directories of ustar, GNU
 * long-name and pax archives. Links and special files are skipped; entries that would land outside the destination
 * are refused.
 */
final class Tar {

    private static final int BLOCK = 512;

    private Tar() {}

    /** Extracts {@code tgz} into {@code dest}; returns the number of files written. */
    static int extractTgz(Path tgz, Path dest) throws IOException {
        try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(tgz), 1 << 16))) {
            return extract(in, dest);
        } catch (IOException e) {
            throw new IOException(tgz + ": " + e.getMessage(), e);
        }
    }

    static int extract(InputStream in, Path dest) throws IOException {
        Path root = dest.toAbsolutePath().normalize();
        byte[] header = new byte[BLOCK];
        String longName = null;
        int files = 0;
        while (true) {
            if (!readBlock(in, header)) {
                return files; // end of stream without the end-of-archive blocks: accept
            }
            if (isZero(header)) {
                return files;
            }
            if (!checksumOk(header)) {
                throw new IOException("corrupt tar header (bad checksum)");
            }
            String name = string(header, 0, 100);
            String prefix = string(header, 345, 155);
            if (!prefix.isEmpty() && "ustar".equals(string(header, 257, 5))) {
                name = prefix + "/" + name;
            }
            if (longName != null) {
                name = longName;
                longName = null;
            }
            long size = number(header, 124, 12);
            char type = (char) header[156];
            switch (type) {
                case 'L': {
                    longName = cString(readData(in, size));
                    continue;
                }
                case 'x': {
                    String path = paxPath(readData(in, size));
                    if (path != null) {
                        longName = path;
                    }
                    continue;
                }
                case 'g':
                    skip(in, size);
                    continue;
                case '5':
                    Files.createDirectories(target(root, name));
                    skip(in, size);
                    continue;
                case '0':
                case '\0':
                case '7': {
                    Path out = target(root, name);
                    Files.createDirectories(out.getParent());
                    try (OutputStream os = Files.newOutputStream(out)) {
                        copy(in, os, size);
                    }
                    skipPadding(in, size);
                    files++;
                    continue;
                }
                default:
                    skip(in, size); // links, devices, FIFOs
            }
        }
    }

    private static Path target(Path root, String name) throws IOException {
        Path p = root.resolve(name).normalize();
        if (name.startsWith("/") || !p.startsWith(root)) {
            throw new IOException("tar entry '" + name + "' would be written outside " + root);
        }
        return p;
    }

    private static boolean readBlock(InputStream in, byte[] b) throws IOException {
        int n = in.readNBytes(b, 0, BLOCK);
        if (n == 0) {
            return false;
        }
        if (n < BLOCK) {
            throw new EOFException("truncated tar archive");
        }
        return true;
    }

    private static byte[] readData(InputStream in, long size) throws IOException {
        if (size > 1 << 24) {
            throw new IOException("tar metadata entry of " + size + " bytes is too large");
        }
        byte[] b = in.readNBytes((int) size);
        if (b.length < size) {
            throw new EOFException("truncated tar archive");
        }
        skipPadding(in, size);
        return b;
    }

    private static void copy(InputStream in, OutputStream out, long size) throws IOException {
        byte[] buf = new byte[1 << 16];
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new EOFException("truncated tar archive");
            }
            out.write(buf, 0, n);
            left -= n;
        }
    }

    private static void skip(InputStream in, long size) throws IOException {
        long total = (size + BLOCK - 1) / BLOCK * BLOCK;
        in.skipNBytes(total);
    }

    private static void skipPadding(InputStream in, long size) throws IOException {
        long pad = (BLOCK - size % BLOCK) % BLOCK;
        in.skipNBytes(pad);
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean checksumOk(byte[] h) {
        long stored = number(h, 148, 8);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xFF);
        }
        return sum == stored;
    }

    /** An octal field, or base-256 when the high bit of the first byte is set. */
    private static long number(byte[] h, int off, int len) {
        if ((h[off] & 0x80) != 0) {
            long v = h[off] & 0x7F;
            for (int i = 1; i < len; i++) {
                v = (v << 8) | (h[off + i] & 0xFF);
            }
            return v;
        }
        long v = 0;
        for (int i = off; i < off + len; i++) {
            byte c = h[i];
            if (c == 0 || c == ' ') {
                if (v > 0) {
                    break;
                }
                continue;
            }
            v = v * 8 + (c - '0');
        }
        return v;
    }

    private static String string(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    private static String cString(byte[] b) {
        int end = 0;
        while (end < b.length && b[end] != 0) {
            end++;
        }
        return new String(b, 0, end, StandardCharsets.UTF_8);
    }

    /** The {@code path} record of a pax extended header ("LEN key=value\n" records), or null. */
    private static String paxPath(byte[] b) {
        int i = 0;
        while (i < b.length) {
            int sp = i;
            while (sp < b.length && b[sp] != ' ') {
                sp++;
            }
            int len;
            try {
                len = Integer.parseInt(new String(b, i, sp - i, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                return null;
            }
            if (len <= sp - i + 1 || i + len > b.length) {
                return null;
            }
            String rec = new String(b, sp + 1, i + len - sp - 2, StandardCharsets.UTF_8); // without the '\n'
            if (rec.startsWith("path=")) {
                return rec.substring(5);
            }
            i += len;
        }
        return null;
    }
}
