/// Runs a profile's `credential_process` command with `sh -c` and reads the credentials it prints:
///
/// ```json
/// {"Version": 1, "AccessKeyId": "...", "SecretAccessKey": "...", "SessionToken": "...",
///  "Expiration": "2024-05-01T12:00:00Z"}
/// ```
///
/// `Version` must be 1; `SessionToken` and `Expiration` are optional. The command's standard error
/// is kept for the message when it fails; its output is never logged.
public struct ProcessCredentialProvider: CredentialProvider {
    public let command: String
    public let profileName: String
    /// The environment the command runs with.
    public let environment: [String: String]

    public var name: String { "credential_process of profile '\(profileName)'" }

    public init(command: String, profileName: String, environment: [String: String]) {
        self.command = command
        self.profileName = profileName
        self.environment = environment
    }

    public func loadCredentials() async throws -> AWSCredentials? {
        let result = try await ShellCommand.run(command, environment: environment, source: name)
        guard result.status == 0 else {
            var message = "\(name) (\(command)) exited with status \(result.status)"
            let errorText = String(decoding: result.errorOutput, as: UTF8.self).trimmingSpaces
            if !errorText.isEmpty { message += ": \(errorText.suffix(500))" }
            throw S3ClientError(.credentials, message)
        }
        let document = try CredentialDocument.decode(String(decoding: result.output, as: UTF8.self), source: name)
        guard document.version == 1 else {
            let version = document.version.map { "Version \($0)" } ?? "no Version"
            throw S3ClientError(.credentials, "\(name) printed \(version); the JSON must have \"Version\": 1")
        }
        return try document.credentials(source: name)
    }
}
