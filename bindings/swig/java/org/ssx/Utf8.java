package org.ssx;

import java.nio.charset.StandardCharsets;

/** Strings for the C ABI: UTF-8, NUL-terminated, and never with a NUL inside. */
final class Utf8 {
    private Utf8() {}

    /** The string as NUL-terminated UTF-8; null stays null. */
    static byte[] z(String s) {
        if (s == null) return null;
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a string for ssx contains a NUL character, which C would read as its end: " + s.replace("\0", "\\0"));
        }
        byte[] text = s.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[text.length + 1];
        System.arraycopy(text, 0, z, 0, text.length);
        return z;
    }
}
