import S3Client

/// A pull's decisions: download what is new or changed, make the directories markers stand for,
/// remove (with `--delete`) local files whose objects are gone. A key that cannot be a path
/// under the directory (`..`, empty names, NUL) is a failure, never written.
public struct PullRule: PlanRule {
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
            file: file, object: object, record: record, options: options, direction: .pull,
            contentMatches: contentMatches)
        return items(for: decision, file: file, object: object, record: record) {
            .download(object, path: file.relativePath, reason: $0)
        }
    }

    public func localOnly(_ file: LocalFile) -> PlanItem? {
        options.delete && filter.includes(file.relativePath) ? .removeLocal(file) : nil
    }

    public func remoteOnly(_ object: ObjectSummary, relativePath: String) -> PlanItem? {
        let isMarker = relativePath.hasSuffix("/")
        let path = isMarker ? String(relativePath.dropLast()) : relativePath
        guard !path.isEmpty else { return nil }
        if case .failure(let error) = DownloadRoot.components(of: path) {
            return .problem(
                LocalProblem(
                    path: relativePath, reason: "the key \(object.key) cannot be restored: \(error.message)",
                    severity: .failure))
        }
        guard isMarker ? !filter.excludesDirectory(path) : filter.includes(path) else { return nil }
        return isMarker ? .makeDirectory(path: path) : .download(object, path: path, reason: "new")
    }
}
