/// A destination: a bucket and a key prefix, from `s3://BUCKET[/PREFIX]` or `BUCKET[/PREFIX]`.
///
/// The prefix owns the keys under `PREFIX/` only: `s3://b/pre/fix` never touches `pre/fixture`.
public struct S3Location: Sendable, Hashable, CustomStringConvertible {
    public let bucket: String
    /// The key prefix, empty or ending in `/`.
    public let prefix: String

    /// Parses a destination argument.
    /// - Throws: ``SyncError`` (usage) when the bucket name is missing or invalid.
    public init(parsing text: String) throws(SyncError) {
        var rest = Substring(text)
        if rest.hasPrefix("s3://") { rest = rest.dropFirst(5) }
        let bucket: Substring
        var prefix: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            bucket = rest[..<slash]
            prefix = rest[rest.index(after: slash)...]
        } else {
            bucket = rest
        }
        guard !bucket.isEmpty else {
            throw SyncError(.usage, "destination '\(text)' has no bucket: use s3://BUCKET[/PREFIX]")
        }
        guard bucket.count >= 3, bucket.count <= 255,
            bucket.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") })
        else {
            throw SyncError(
                .usage,
                "'\(bucket)' is not a valid bucket name (3-63 of a-z, 0-9, '.', '-'): use s3://BUCKET[/PREFIX]")
        }
        while prefix.hasPrefix("/") { prefix = prefix.dropFirst() }
        if !prefix.isEmpty && !prefix.hasSuffix("/") { prefix += "/" }
        self.bucket = String(bucket)
        self.prefix = String(prefix)
    }

    public init(bucket: String, prefix: String) {
        self.bucket = bucket
        self.prefix = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
    }

    /// The key for a path relative to the source directory.
    public func key(for relativePath: String) -> String { prefix + relativePath }

    /// The path relative to the prefix, or `nil` when the key is not under it.
    public func relativePath(of key: String) -> String? {
        guard key.utf8.starts(with: prefix.utf8) else { return nil }
        return String(decoding: key.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
    }

    public var description: String { "s3://\(bucket)/\(prefix)" }
}
