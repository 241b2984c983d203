import Foundation

/// A throwaway home directory with `.aws/config` and `.aws/credentials`, and an environment that
/// points at it; the process's own environment and files are never read.
public struct TemporaryHome: Sendable {
    public let path: String

    /// Creates the directory and writes the files that are given.
    public init(config: String? = nil, credentials: String? = nil) throws {
        path = try TestEnvironment.makeTemporaryDirectory("home")
        try FileManager.default.createDirectory(atPath: path + "/.aws", withIntermediateDirectories: true)
        if let config { try write(".aws/config", config) }
        if let credentials { try write(".aws/credentials", credentials) }
    }

    /// `HOME`, plus `AWS_EC2_METADATA_DISABLED=true` so no test waits on a metadata service that
    /// is not there, plus `extra`.
    public func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ["HOME": path, "AWS_EC2_METADATA_DISABLED": "true"]
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// Writes a file relative to the home directory and returns its absolute path.
    @discardableResult
    public func write(_ relativePath: String, _ contents: String, executable: Bool = false) throws -> String {
        let full = path + "/" + relativePath
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: full))
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: full) }
        return full
    }

    public func remove() { TestEnvironment.removeTree(path) }
}
