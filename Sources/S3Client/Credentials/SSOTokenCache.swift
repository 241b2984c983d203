import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The directory `aws sso login` keeps its tokens in, `~/.aws/sso/cache`: one JSON file per
/// login, named by the lowercase hex SHA-1 of the key (the `sso-session` name, or the legacy
/// form's start URL), as every AWS SDK names it.
struct SSOTokenCache: Sendable {
    let directory: String

    init(directory: String) {
        var directory = directory
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        self.directory = directory
    }

    /// `$HOME/.aws/sso/cache`; `nil` when `HOME` is not set.
    init?(environment: [String: String]) {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
        guard let directory = SharedConfigFiles.expandHome("~/.aws/sso/cache", home: home) else { return nil }
        self.init(directory: directory)
    }

    /// `<sha1 hex of key>.json`.
    static func fileName(key: String) -> String {
        Hex.encode(Insecure.SHA1.hash(data: Array(key.utf8))) + ".json"
    }

    func path(key: String) -> String { directory + "/" + Self.fileName(key: key) }

    /// The token cached under `key`.
    /// - Returns: `nil` when there is no such file.
    /// - Throws: ``SSOToken/Problem`` when the file cannot be read or is not a token.
    func load(key: String) throws(SSOToken.Problem) -> SSOToken? {
        let path = path(key: key)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SSOToken.Problem("it cannot be read: \(error.localizedDescription)")
        }
        return try SSOToken.decode(data)
    }

    /// Writes a refreshed token back, as the AWS CLI does, so the next run (and the CLI) use it:
    /// the fields the file had are kept and the token's replace theirs; the new file is written
    /// beside the old one with mode 0600 and renamed over it, so a reader never sees half of it.
    /// - Throws: ``S3ClientError`` (credentials) when the file cannot be written.
    func store(_ token: SSOToken, key: String) throws(S3ClientError) {
        let path = path(key: key)
        var fields: [String: Any] = [:]
        if let data = FileManager.default.contents(atPath: path),
            let existing = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        {
            fields = existing
        }
        fields["accessToken"] = token.accessToken
        fields["expiresAt"] = Timestamp.iso8601(secondsSince1970: Int(token.expiresAt.timeIntervalSince1970))
        if let refreshToken = token.refreshToken { fields["refreshToken"] = refreshToken }
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            guard
                FileManager.default.createFile(
                    atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600])
            else {
                throw S3ClientError(.credentials, "cannot write the refreshed SSO token to \(directory)")
            }
            guard rename(temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw S3ClientError(.credentials, "cannot replace the SSO token cache file \(path): \(reason)")
            }
        } catch let error as S3ClientError {
            throw error
        } catch {
            throw S3ClientError(.credentials, "cannot write the refreshed SSO token to \(path): \(error)")
        }
    }
}
