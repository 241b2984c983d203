import ArgumentParser
import S3Client
import SyncEngine

/// The push options that say what uploaded objects are stored with.
struct ObjectOptions: ParsableArguments {
    static let cannedACLs = [
        "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read", "bucket-owner-read",
        "bucket-owner-full-control",
    ]
    static let encryptions = ["AES256", "aws:kms", "aws:kms:dsse"]

    @Option(
        name: .customLong("content-type"), help: "Content-Type of every uploaded object (default: from the extension).")
    var contentType: String?

    @Flag(name: .customLong("no-guess-mime-type"), help: "Do not set a Content-Type from the file's extension.")
    var noGuessMimeType = false

    @Option(name: .customLong("cache-control"), help: "Cache-Control of uploaded objects, e.g. 'max-age=3600'.")
    var cacheControl: String?

    @Option(name: .customLong("content-encoding"), help: "Content-Encoding of uploaded objects, e.g. gzip.")
    var contentEncoding: String?

    @Option(name: .customLong("metadata"), help: "User metadata KEY=VALUE (x-amz-meta-KEY); repeatable.")
    var metadata: [String] = []

    @Option(
        name: .customLong("storage-class"),
        help: "Storage class: STANDARD, STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR, …")
    var storageClass: String?

    @Option(name: .customLong("sse"), help: "Server-side encryption: AES256, aws:kms or aws:kms:dsse.")
    var sse: String?

    @Option(name: .customLong("sse-kms-key-id"), help: "The KMS key for --sse aws:kms (id, ARN or alias).")
    var sseKMSKeyID: String?

    @Option(name: .customLong("acl"), help: "Canned ACL: private, public-read, bucket-owner-full-control, …")
    var acl: String?

    func validate() throws {
        for entry in metadata {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw ValidationError("--metadata '\(entry)' is not KEY=VALUE")
            }
            let key = entry[..<equals]
            guard key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw ValidationError("--metadata key '\(key)' may hold only letters, digits, '-' and '_'")
            }
            guard key.lowercased() != "mtime" else {
                throw ValidationError(
                    "--metadata mtime is s3sync's own (the file's modification time); choose another key")
            }
            guard entry[entry.index(after: equals)...].allSatisfy({ $0.isASCII && !$0.isNewline }) else {
                throw ValidationError("--metadata '\(key)' has a value that is not plain ASCII on one line")
            }
        }
        if let sse, !Self.encryptions.contains(sse) {
            throw ValidationError("--sse must be one of \(Self.encryptions.joined(separator: ", "))")
        }
        if sseKMSKeyID != nil && !(sse ?? "aws:kms").hasPrefix("aws:kms") {
            throw ValidationError("--sse-kms-key-id goes with --sse aws:kms")
        }
        if let acl, !Self.cannedACLs.contains(acl) {
            throw ValidationError("--acl must be a canned ACL: \(Self.cannedACLs.joined(separator: ", "))")
        }
        if let storageClass, storageClass.isEmpty || !storageClass.allSatisfy({ $0.isUppercase || $0 == "_" }) {
            throw ValidationError(
                "--storage-class '\(storageClass)' is not a storage class (STANDARD_IA, GLACIER_IR, …)")
        }
    }

    /// Applies these options to `options`.
    func apply(to options: inout SyncOptions) {
        var attributes = ObjectAttributes()
        attributes.contentType = contentType
        attributes.cacheControl = cacheControl
        attributes.contentEncoding = contentEncoding
        for entry in metadata {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            attributes.metadata[entry[..<equals].lowercased()] = String(entry[entry.index(after: equals)...])
        }
        attributes.storageClass = storageClass
        attributes.serverSideEncryption = sse ?? (sseKMSKeyID == nil ? nil : "aws:kms")
        attributes.kmsKeyID = sseKMSKeyID
        attributes.acl = acl
        options.attributes = attributes
        options.guessContentType = !noGuessMimeType
    }
}
