import S3Client

/// What one direction does with each key of the planner's merge: a push uploads and deletes
/// objects (``PushRule``), a pull downloads and removes local files (``PullRule``).
public protocol PlanRule: Sendable {
    /// A key with both a file and an object; `record` is what the index holds for it.
    /// `contentMatches` hashes the file against the object's ETag (`--checksum`).
    func decide(
        file: LocalFile, object: ObjectSummary, record: IndexRecord?,
        contentMatches: (LocalFile, ObjectSummary, IndexRecord?) async -> Bool?
    ) async -> [PlanItem]
    /// A file with no object.
    func localOnly(_ file: LocalFile) -> PlanItem?
    /// An object with no file; `relativePath` is its key under the prefix (a directory marker's
    /// ends in `/`).
    func remoteOnly(_ object: ObjectSummary, relativePath: String) -> PlanItem?
}

extension PlanRule {
    /// The items for a key on both sides, from the change detector's decision: the copy (made by
    /// `transfer`), or a skip with the index record brought up to date where the decision says so.
    func items(
        for decision: ChangeDetector.Decision, file: LocalFile, object: ObjectSummary, record: IndexRecord?,
        transfer: (String) -> PlanItem
    ) -> [PlanItem] {
        switch decision {
        case .transfer(let reason):
            return [transfer(reason)]
        case .skip, .compareContent:
            return [.skip(file)]
        case .adoptListedETag, .skipAndRecordStat:
            guard let record else { return [.skip(file)] }
            return [.skip(file), .refreshIndexRecord(record.refreshed(stat: file.stat, eTag: object.eTag))]
        }
    }

    /// The change detector's decision, with `--checksum`'s content comparison carried out.
    func decision(
        file: LocalFile, object: ObjectSummary, record: IndexRecord?, options: SyncOptions,
        direction: JobRecord.Direction, contentMatches: (LocalFile, ObjectSummary, IndexRecord?) async -> Bool?
    ) async -> ChangeDetector.Decision {
        let decision = ChangeDetector.decide(
            local: file.stat, remote: object, record: record, mode: options.compare, direction: direction)
        guard decision == .compareContent else { return decision }
        guard await contentMatches(file, object, record) == true else { return .transfer(reason: "content") }
        // The content is the object's. A record (whose stat or ETag did not vouch, or there would
        // be nothing to compare) is brought up to date, so the next run does not read the file again.
        return record == nil ? .skip : .skipAndRecordStat
    }
}
