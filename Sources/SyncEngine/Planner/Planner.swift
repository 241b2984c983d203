import S3Client

/// Diffs the local tree against the bucket: a streaming merge-join of the sorted local walk, the
/// sorted listing and the index, holding only the current directories and pages in memory.
public struct Planner: Sendable {
    /// What a planning pass found.
    public struct Summary: Sendable, Hashable {
        public var uploads = 0
        public var uploadBytes: Int64 = 0
        public var skips = 0
        public var deletes = 0
        public var warnings = 0
        public var failures = 0
    }

    public static let maxKeyBytes = 1024

    public let location: S3Location
    public let endpoint: String
    public let options: SyncOptions
    let filter: PathFilter

    public init(location: S3Location, endpoint: String, options: SyncOptions) {
        self.location = location
        self.endpoint = endpoint
        self.options = options
        self.filter = PathFilter(options.filters)
    }

    /// Plans: calls `emit` for every decision, in key order.
    /// - Parameters:
    ///   - contentMatches: for `--checksum`, whether the file's content has the object's ETag
    ///     (`nil` when the file could not be read); the record's part size is a hint.
    public func plan<Remote: AsyncSequence<ObjectSummary, any Error>>(
        local: LocalWalker, remote: Remote, store: JobStore?,
        contentMatches: (LocalFile, ObjectSummary, IndexRecord?) async -> Bool? = { _, _, _ in nil },
        emit: (PlanItem) async throws -> Void
    ) async throws -> Summary {
        var summary = Summary()
        var walker = local
        var remoteIterator = remote.makeAsyncIterator()
        var index = IndexCursor(store: store, endpoint: endpoint, location: location)

        func nextLocal() async throws -> LocalFile? {
            while let entry = walker.next() {
                switch entry {
                case .file(let file):
                    if location.prefix.utf8.count + file.relativePath.utf8.count > Self.maxKeyBytes {
                        summary.failures += 1
                        try await emit(
                            .problem(
                                LocalProblem(
                                    path: file.relativePath,
                                    reason:
                                        "the key would be \(location.prefix.utf8.count + file.relativePath.utf8.count) bytes; S3 keys are at most 1024 bytes",
                                    severity: .failure)))
                        continue
                    }
                    return file
                case .problem(let problem):
                    if problem.severity == .failure { summary.failures += 1 } else { summary.warnings += 1 }
                    try await emit(.problem(problem))
                }
            }
            return nil
        }

        func nextRemote() async throws -> (relative: String, object: ObjectSummary)? {
            while let object = try await remoteIterator.next() {
                guard let relative = location.relativePath(of: object.key) else { continue }
                // Directory markers (`dir/`) are not files: never compared, never deleted.
                if relative.isEmpty || relative.hasSuffix("/") { continue }
                return (relative, object)
            }
            return nil
        }

        var localFile = try await nextLocal()
        var remoteObject = try await nextRemote()
        while localFile != nil || remoteObject != nil {
            try Task.checkCancellation()
            let order: Int
            if let localFile, let remoteObject {
                if localFile.relativePath.utf8.elementsEqual(remoteObject.relative.utf8) {
                    order = 0
                } else {
                    order = localFile.relativePath.utf8.lexicographicallyPrecedes(remoteObject.relative.utf8) ? -1 : 1
                }
            } else {
                order = localFile != nil ? -1 : 1
            }
            if order <= 0, let file = localFile {
                let remote = order == 0 ? remoteObject?.object : nil
                let record = remote == nil ? nil : try await index.record(for: location.key(for: file.relativePath))
                var decision = ChangeDetector.decide(
                    local: file.stat, remote: remote, record: record, mode: options.compare)
                if decision == .compareContent, let remote {
                    if await contentMatches(file, remote, record) == true {
                        // The content is the object's. A record (whose stat or ETag did not
                        // vouch, or there would be nothing to compare) is brought up to date,
                        // so the next run does not read the file again.
                        decision = record == nil ? .skip : .skipAndRecordStat
                    } else {
                        decision = .upload(reason: "content")
                    }
                }
                switch decision {
                case .upload(let reason):
                    summary.uploads += 1
                    summary.uploadBytes += file.stat.size
                    try await emit(.upload(file, reason: reason))
                case .skip, .compareContent:
                    summary.skips += 1
                    try await emit(.skip(file))
                case .adoptListedETag, .skipAndRecordStat:
                    summary.skips += 1
                    try await emit(.skip(file))
                    if let record, let remote {
                        try await emit(.refreshIndexRecord(record.refreshed(stat: file.stat, eTag: remote.eTag)))
                    }
                }
                localFile = try await nextLocal()
                if order == 0 { remoteObject = try await nextRemote() }
            } else if let remote = remoteObject {
                if options.delete && filter.includes(remote.relative) {
                    summary.deletes += 1
                    try await emit(.delete(key: remote.object.key))
                }
                remoteObject = try await nextRemote()
            }
        }
        return summary
    }
}
