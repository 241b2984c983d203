import Foundation

/// The JSON credential sources answer with: the container agent and instance metadata
/// (`AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration`) and `credential_process`
/// (`Version`, `AccessKeyId`, `SecretAccessKey`, `SessionToken`, `Expiration`). Errors come as
/// `Code`/`Message` (instance metadata) or `code`/`message` (the container agent).
struct CredentialDocument: Decodable, Sendable {
    var version: Int?
    var code: String?
    var message: String?
    var errorCode: String?
    var errorMessage: String?
    var accessKeyID: String?
    var secretAccessKey: String?
    var token: String?
    var sessionToken: String?
    var expiration: String?

    enum CodingKeys: String, CodingKey {
        case version = "Version"
        case code = "Code"
        case message = "Message"
        case errorCode = "code"
        case errorMessage = "message"
        case accessKeyID = "AccessKeyId"
        case secretAccessKey = "SecretAccessKey"
        case token = "Token"
        case sessionToken = "SessionToken"
        case expiration = "Expiration"
    }

    /// Decodes a document.
    /// - Parameter source: names the source in the error, e.g. `credential_process of profile 'ci'`.
    static func decode(_ text: String, source: String) throws -> CredentialDocument {
        do {
            return try JSONDecoder().decode(CredentialDocument.self, from: Data(text.utf8))
        } catch {
            throw S3ClientError(
                .credentials,
                "\(source) answered something that is not a credentials JSON object (expected {\"AccessKeyId\": ..., \"SecretAccessKey\": ..., ...})"
            )
        }
    }

    /// The credentials in the document.
    /// - Throws: ``S3ClientError`` (credentials) when a key is missing or the expiration is unreadable.
    func credentials(source: String) throws -> AWSCredentials {
        if let code, !code.isEmpty, code != "Success" {
            throw S3ClientError(.credentials, "\(source) answered \(code)\(message.map { ": \($0)" } ?? "")")
        }
        guard let accessKeyID, !accessKeyID.isEmpty else {
            throw S3ClientError(.credentials, "\(source) answered without AccessKeyId")
        }
        guard let secretAccessKey, !secretAccessKey.isEmpty else {
            throw S3ClientError(.credentials, "\(source) answered without SecretAccessKey")
        }
        var date: Date?
        if let expiration, !expiration.isEmpty {
            guard let parsed = Timestamp.parseISO8601(expiration).map(Date.init(timeIntervalSince1970:)) else {
                throw S3ClientError(
                    .credentials,
                    "\(source) answered an Expiration that is not an RFC 3339 timestamp (e.g. 2024-05-01T12:00:00Z): \(expiration)"
                )
            }
            date = parsed
        }
        let session = [token, sessionToken].compactMap { $0 }.first { !$0.isEmpty }
        return AWSCredentials(
            accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: session, expiration: date)
    }
}
