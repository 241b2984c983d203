import Foundation

/// Where the shared config files are, and reading them.
///
/// `AWS_CONFIG_FILE` (default `~/.aws/config`) and `AWS_SHARED_CREDENTIALS_FILE` (default
/// `~/.aws/credentials`) name the files; only a leading `~/` expands, with `HOME`. A missing file
/// counts as empty (a missing file named by the environment adds a warning).
///
/// ```swift
/// let files = SharedConfigFiles(environment: ProcessInfo.processInfo.environment)
/// let configuration = try files.load()
/// ```
public struct SharedConfigFiles: Sendable, Hashable {
    /// The config file as configured, for messages (`~/.aws/config`).
    public let configDisplayPath: String
    /// The credentials file as configured, for messages (`~/.aws/credentials`).
    public let credentialsDisplayPath: String
    /// The config file's path with `~/` expanded; `nil` when `HOME` is unknown.
    public let configPath: String?
    /// The credentials file's path with `~/` expanded; `nil` when `HOME` is unknown.
    public let credentialsPath: String?
    let configFromEnvironment: Bool
    let credentialsFromEnvironment: Bool

    public init(environment: [String: String]) {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
        let config = environment["AWS_CONFIG_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let credentials = environment["AWS_SHARED_CREDENTIALS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        configDisplayPath = config ?? "~/.aws/config"
        credentialsDisplayPath = credentials ?? "~/.aws/credentials"
        configPath = Self.expandHome(configDisplayPath, home: home)
        credentialsPath = Self.expandHome(credentialsDisplayPath, home: home)
        configFromEnvironment = config != nil
        credentialsFromEnvironment = credentials != nil
    }

    /// Reads and parses both files, the credentials file merged over the config file.
    /// - Throws: ``S3ClientError`` (configuration) when a file exists but cannot be read or has a
    ///   malformed line.
    public func load() throws(S3ClientError) -> SharedConfiguration {
        var warnings: [String] = []
        let config = try read(
            configPath, display: configDisplayPath, fromEnvironment: configFromEnvironment,
            variable: "AWS_CONFIG_FILE", warnings: &warnings)
        let credentials = try read(
            credentialsPath, display: credentialsDisplayPath, fromEnvironment: credentialsFromEnvironment,
            variable: "AWS_SHARED_CREDENTIALS_FILE", warnings: &warnings)
        var result = try SharedConfigParser.parse(
            config: config, credentials: credentials, configSource: configDisplayPath,
            credentialsSource: credentialsDisplayPath)
        result.warnings = warnings + result.warnings
        return result
    }

    private func read(
        _ path: String?, display: String, fromEnvironment: Bool, variable: String, warnings: inout [String]
    ) throws(S3ClientError) -> String {
        guard let path else {
            warnings.append("\(display) not read: HOME is not set")
            return ""
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            if fromEnvironment { warnings.append("\(display) (from \(variable)) does not exist") }
            return ""
        }
        guard !isDirectory.boolValue else {
            throw S3ClientError(.configuration, "\(display) is a directory, not a config file")
        }
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw S3ClientError(
                .configuration, "cannot read \(display): \(error.localizedDescription). Check its permissions")
        }
    }

    /// Expands a leading `~/` (or a lone `~`) with `home`; other paths are returned as they are.
    /// - Returns: `nil` when the path needs `home` and it is unknown.
    public static func expandHome(_ path: String, home: String?) -> String? {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        guard let home else { return nil }
        var base = home
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        if path == "~" { return base }
        return (base == "/" ? "" : base) + path.dropFirst(1)
    }
}
