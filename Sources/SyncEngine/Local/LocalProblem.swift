/// Something under the source that is not uploaded, and why.
public struct LocalProblem: Sendable, Hashable {
    public enum Severity: String, Sendable, Hashable, Codable {
        /// Skipped on purpose (a FIFO, a socket, a broken symlink): reported, not a failure.
        case warning
        /// Should have been uploaded and could not be (unreadable, a name that is not UTF-8, a key
        /// too long): a failed file, exit code 1.
        case failure
    }

    /// The path relative to the source, with bytes that are not UTF-8 shown as `\xNN`.
    public var path: String
    public var reason: String
    public var severity: Severity

    public init(path: String, reason: String, severity: Severity) {
        self.path = path
        self.reason = reason
        self.severity = severity
    }
}
