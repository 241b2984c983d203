import S3Client

/// Diffs the local tree against the bucket: a streaming merge-join of the sorted local walk, the
/// sorted listing and the index, holding only the current directories and pages in memory. What
/// each key becomes is the direction's ``PlanRule``.
public struct Planner: Sendable {
    /// What a planning pass found.
    public struct Summary: Sendable, Hashable {
        /// Files to upload (push) or download (pull), and their bytes.
        public var transfers = 0
        public var transferBytes: Int64 = 0
        public var skips = 0
        /// Objects (push) or local files (pull) to delete.
        public var deletes = 0
        public var warnings = 0
        public var failures = 0

        mutating func count(_ item: PlanItem) {
            switch item {
            case .upload(let file, _):
                transfers += 1
                transferBytes += file.stat.size
            case .download(let object, _, _):
                transfers += 1
                transferBytes += object.size
            case .skip: skips += 1
            case .delete, .removeLocal: deletes += 1
            case .problem(let problem):
                if problem.severity == .failure { failures += 1 } else { warnings += 1 }
            case .refreshIndexRecord, .makeDirectory: break
            }
        }
    }

    public static let maxKeyBytes = 1024

    public let location: S3Location
    public let endpoint: String
    public let options: SyncOptions
    public let rule: any PlanRule

    /// A planner for `rule`'s direction; a push's by default.
    public init(location: S3Location, endpoint: String, options: SyncOptions, rule: (any PlanRule)? = nil) {
        self.location = location
        self.endpoint = endpoint
        self.options = options
        self.rule = rule ?? PushRule(location: location, options: options)
    }

    /// Plans: calls `emit` for every decision, in key order.
    /// - Parameters:
    ///   - contentMatches: for `--checksum`, whether the file's content has the object's ETag
    ///     (`nil` when the file could not be read); the record's part size is a hint.
    public func plan<Remote: AsyncSequence<ObjectSummary, any Error>>(
        local: LocalWalker, remote: Remote, store: (any JobStore)?,
        contentMatches: (LocalFile, ObjectSummary, IndexRecord?) async -> Bool? = { _, _, _ in nil },
        emit: (PlanItem) async throws -> Void
    ) async throws -> Summary {
        var summary = Summary()
        var walker = local
        var remoteIterator = remote.makeAsyncIterator()
        var index = IndexCursor(store: store, endpoint: endpoint, location: location, root: local.root)

        func send(_ item: PlanItem?) async throws {
            guard var item else { return }
            if case .refreshIndexRecord(var record) = item {
                // Brought up to date for the directory walked (a record from before s3sync kept
                // the directory becomes this directory's).
                record.root = local.root
                item = .refreshIndexRecord(record)
            }
            summary.count(item)
            try await emit(item)
        }

        func nextLocal() async throws -> LocalFile? {
            while let entry = walker.next() {
                switch entry {
                case .file(let file): return file
                case .problem(let problem): try await send(.problem(problem))
                }
            }
            return nil
        }

        func nextRemote() async throws -> (relative: String, object: ObjectSummary)? {
            while let object = try await remoteIterator.next() {
                guard let relative = location.relativePath(of: object.key), !relative.isEmpty else { continue }
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
            if order == 0, let file = localFile, let remote = remoteObject?.object {
                let record = try await index.record(for: remote.key)
                for item in await rule.decide(
                    file: file, object: remote, record: record, contentMatches: contentMatches)
                {
                    try await send(item)
                }
                localFile = try await nextLocal()
                remoteObject = try await nextRemote()
            } else if order < 0, let file = localFile {
                try await send(rule.localOnly(file))
                localFile = try await nextLocal()
            } else if let remote = remoteObject {
                try await send(rule.remoteOnly(remote.object, relativePath: remote.relative))
                remoteObject = try await nextRemote()
            }
        }
        return summary
    }
}
