/// The server's version.
public enum DojoPoolVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0"
}
