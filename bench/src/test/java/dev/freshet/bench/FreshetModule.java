package dev.freshet.bench;

import java.net.URI;
import java.util.Optional;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.Source;

/**
 * The Maven modules of Freshet, each with its package root, for the architecture rules: a class belongs to the
 * module whose classes directory or jar it was loaded from, and a package to the module whose root it lies under.
 */
enum FreshetModule {
    PROTO("proto", "proto"),
    CONTRACTS("contracts", "contracts"),
    EMBEDDED_KAFKA("embedded-kafka", "embedded"),
    TEST_SUPPORT("test-support", "testing"),
    FEATURE_STORE("feature-store", "featurestore"),
    TRAINER("trainer", "trainer"),
    SERVING("serving", "serving"),
    MONITOR("monitor", "monitor"),
    LAUNCHER("launcher", "launcher"),
    BENCH("bench", "bench");

    private static final String JAR_PREFIX = "freshet-";

    private final String directory;
    private final String packageRoot;

    FreshetModule(String directory, String packageRoot) {
        this.directory = directory;
        this.packageRoot = "dev.freshet." + packageRoot;
    }

    /** The module's directory in the repository, also its artifact id without {@code freshet-}. */
    String directory() {
        return directory;
    }

    String packageRoot() {
        return packageRoot;
    }

    boolean isService() {
        return this == FEATURE_STORE || this == TRAINER || this == SERVING || this == MONITOR;
    }

    /** Whether the package is this module's root or lies under it. */
    boolean owns(String packageName) {
        return packageName.equals(packageRoot) || packageName.startsWith(packageRoot + ".");
    }

    /** Whether the package is this module's {@code internal} package or lies under it. */
    boolean ownsInternal(String packageName) {
        String internal = packageRoot + ".internal";
        return packageName.equals(internal) || packageName.startsWith(internal + ".");
    }

    /** The module whose package root holds the package, if any. */
    static Optional<FreshetModule> owning(String packageName) {
        for (FreshetModule module : values()) {
            if (module.owns(packageName)) {
                return Optional.of(module);
            }
        }
        return Optional.empty();
    }

    /**
     * The module a class was loaded from: {@code <module>/target/classes} (or {@code test-classes}) in a reactor
     * build, or the module's jar ({@code freshet-<module>[-<version>][-tests].jar}) once packaged.
     *
     * @throws IllegalStateException when the location names no module, so that a new module is added here before
     *     its classes can pass unchecked
     */
    static FreshetModule loadedFrom(JavaClass javaClass) {
        URI uri = javaClass.getSource().map(Source::getUri).orElseThrow(() -> new IllegalStateException(
            "ArchUnit knows no location for " + javaClass.getName()));
        String location = uri.toString();
        int jarEnd = location.indexOf(".jar!/");
        if (jarEnd >= 0) {
            String jar = location.substring(location.lastIndexOf('/', jarEnd) + 1, jarEnd);
            if (jar.startsWith(JAR_PREFIX)) {
                String artifact = jar.substring(JAR_PREFIX.length());
                for (FreshetModule module : values()) {
                    if (artifact.equals(module.directory) || artifact.startsWith(module.directory + "-")) {
                        return module;
                    }
                }
            }
        } else {
            int target = Math.max(location.lastIndexOf("/target/classes/"),
                location.lastIndexOf("/target/test-classes/"));
            if (target > 0) {
                String directory = location.substring(location.lastIndexOf('/', target - 1) + 1, target);
                for (FreshetModule module : values()) {
                    if (directory.equals(module.directory)) {
                        return module;
                    }
                }
            }
        }
        throw new IllegalStateException("Cannot tell which Freshet module " + javaClass.getName() + " comes from ("
            + location + "); add the module to " + FreshetModule.class.getSimpleName());
    }
}
