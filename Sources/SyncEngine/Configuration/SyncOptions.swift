import S3Client

/// How a push or pull decides and copies: the options a job is planned and resumed with.
public struct SyncOptions: Sendable, Hashable, Codable {
    /// How a file and an object are compared.
    public enum CompareMode: String, Sendable, Hashable, Codable {
        /// Size, then the index's recorded mtime and ETag, else mtime newer than LastModified.
        case sizeAndTime
        /// Size only.
        case sizeOnly
        /// Content: MD5 or the multipart ETag, from the index when the file's stat is unchanged.
        case checksum
    }

    public var compare: CompareMode = .sizeAndTime
    public var delete = false
    public var maxDelete: Int?
    public var dryRun = false
    public var filters: [FilterRule] = []
    public var followSymlinks = true
    /// Requests in flight at once, files, parts and listings together: where the budget
    /// starts when ``adaptiveConcurrency`` is on, the budget itself when it is off.
    public var concurrency = 32
    /// Whether the budget finds its own level (`--concurrency auto`), up to
    /// ``concurrencyCeiling``.
    public var adaptiveConcurrency = true
    public var partSize: Int64 = 8 << 20
    public var multipartThreshold: Int64 = 8 << 20
    /// Bytes per second sent, `nil` for unlimited.
    public var bandwidthLimit: Int64?
    public var checksumAlgorithm: ChecksumAlgorithm = .crc32c
    /// How many times a file that changes while uploading is tried in one run.
    public var changedFileAttempts = 3
    /// What uploaded objects are stored with (content type, cache control, metadata, storage
    /// class, encryption, ACL). A change of these alone uploads nothing again.
    public var attributes = ObjectAttributes()
    /// Whether an upload without a content type in ``attributes`` gets one from its extension.
    public var guessContentType = true
    /// The file holding the SSE-C key: the key itself is read at run time, never stored.
    public var customerKeyFile: String?

    public init() {}

    /// Reads options saved by any version: what a job saved before an option existed takes its
    /// default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func value<Value: Decodable>(_ key: CodingKeys, _ fallback: Value) throws -> Value {
            try container.decodeIfPresent(Value.self, forKey: key) ?? fallback
        }
        let defaults = SyncOptions()
        compare = try value(.compare, defaults.compare)
        delete = try value(.delete, defaults.delete)
        maxDelete = try container.decodeIfPresent(Int.self, forKey: .maxDelete)
        dryRun = try value(.dryRun, defaults.dryRun)
        filters = try value(.filters, defaults.filters)
        followSymlinks = try value(.followSymlinks, defaults.followSymlinks)
        concurrency = try value(.concurrency, defaults.concurrency)
        // Jobs saved before the budget could move kept the one they were given.
        adaptiveConcurrency = try value(.adaptiveConcurrency, false)
        partSize = try value(.partSize, defaults.partSize)
        multipartThreshold = try value(.multipartThreshold, defaults.multipartThreshold)
        bandwidthLimit = try container.decodeIfPresent(Int64.self, forKey: .bandwidthLimit)
        checksumAlgorithm = try value(.checksumAlgorithm, defaults.checksumAlgorithm)
        changedFileAttempts = try value(.changedFileAttempts, defaults.changedFileAttempts)
        attributes = try value(.attributes, defaults.attributes)
        guessContentType = try value(.guessContentType, defaults.guessContentType)
        customerKeyFile = try container.decodeIfPresent(String.self, forKey: .customerKeyFile)
    }

    /// The most requests in flight this run may reach: the fixed budget, or the ceiling the
    /// adaptive one stays under (over TLS it stays lower still).
    public var concurrencyCeiling: Int {
        adaptiveConcurrency
            ? ConcurrencyController.Bounds.run(startingAt: concurrency, tls: false).ceiling : concurrency
    }
}
