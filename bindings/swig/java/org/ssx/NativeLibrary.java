package org.ssx;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.CodeSource;

/**
 * Loads the JNI library (libssx_java.so) from the folder of the jar (or class folder) this class
 * came from, so a program finds it next to ssx.jar without -Djava.library.path; libssx_java.so
 * then finds libssx.so next to itself (RPATH $ORIGIN). The system property {@code org.ssx.native}
 * names another file; without either, {@link System#loadLibrary} searches java.library.path.
 */
final class NativeLibrary {
    private static boolean loaded;

    private NativeLibrary() {}

    static synchronized void load() {
        if (loaded) return;
        String explicit = System.getProperty("org.ssx.native");
        Path beside = besideThisJar();
        if (explicit != null) {
            System.load(Paths.get(explicit).toAbsolutePath().toString());
        } else if (beside != null && Files.isRegularFile(beside)) {
            System.load(beside.toString());
        } else {
            System.loadLibrary("ssx_java");
        }
        loaded = true;
    }

    private static Path besideThisJar() {
        try {
            CodeSource source = NativeLibrary.class.getProtectionDomain().getCodeSource();
            if (source == null) return null;
            Path location = Paths.get(source.getLocation().toURI()).toAbsolutePath();
            Path dir = Files.isDirectory(location) ? location : location.getParent();
            return dir == null ? null : dir.resolve("libssx_java.so");
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            return null;
        }
    }
}
