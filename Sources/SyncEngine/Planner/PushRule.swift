import S3Client

/// A push's decisions: upload what is new or changed, delete (with `--delete`) objects whose
/// files are gone; directory markers are never compared or deleted.
public struct PushRule: PlanRule {
    public let location: S3Location
    public let options: SyncOptions
    let filter: PathFilter

    public init(location: S3Location, options: SyncOptions) {
        self.location = location
        self.options = options
        self.filter = PathFilter(options.filters)
    }

    public func decide(
        file: LocalFile, object: ObjectSummary, record: IndexRecord?,
        contentMatches: (LocalFile, ObjectSummary, IndexRecord?) async -> Bool?
    ) async -> [PlanItem] {
        let decision = await decision(
            file: file, object: object, record: record, options: options, direction: .push,
            contentMatches: contentMatches)
        return items(for: decision, file: file, object: object, record: record) { .upload(file, reason: $0) }
    }

    public func localOnly(_ file: LocalFile) -> PlanItem? {
        let keyBytes = location.prefix.utf8.count + file.relativePath.utf8.count
        guard keyBytes <= Planner.maxKeyBytes else {
            return .problem(
                LocalProblem(
                    path: file.relativePath,
                    reason: "the key would be \(keyBytes) bytes; S3 keys are at most \(Planner.maxKeyBytes) bytes",
                    severity: .failure))
        }
        return .upload(file, reason: "new")
    }

    public func remoteOnly(_ object: ObjectSummary, relativePath: String) -> PlanItem? {
        guard options.delete, !relativePath.hasSuffix("/"), filter.includes(relativePath) else { return nil }
        return .delete(key: object.key)
    }
}
