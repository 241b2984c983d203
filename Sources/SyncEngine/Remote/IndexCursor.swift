/// Walks the index records of a directory under a destination in key order, a page at a time,
/// alongside the planner's merge.
struct IndexCursor {
    /// Records read per query.
    static let pageSize = 2000

    let store: (any JobStore)?
    let endpoint: String
    let location: S3Location
    /// The local directory whose records are read (with those that stand for any).
    let root: String
    var page: [IndexRecord] = []
    var position = 0
    var exhausted = false
    var lastKey: String?

    init(store: (any JobStore)?, endpoint: String, location: S3Location, root: String) {
        self.store = store
        self.endpoint = endpoint
        self.location = location
        self.root = root
        self.exhausted = store == nil
    }

    /// The record for exactly `key`, skipping records with smaller keys.
    mutating func record(for key: String) async throws -> IndexRecord? {
        while true {
            if position >= page.count {
                guard !exhausted, let store else { return nil }
                page = try await store.indexRecords(
                    endpoint: endpoint, location: location, root: root, after: lastKey, limit: Self.pageSize)
                position = 0
                if page.count < Self.pageSize { exhausted = true }
                lastKey = page.last?.key
                if page.isEmpty { return nil }
            }
            let candidate = page[position]
            if candidate.key.utf8.lexicographicallyPrecedes(key.utf8) {
                position += 1
                continue
            }
            if candidate.key.utf8.elementsEqual(key.utf8) {
                position += 1
                return candidate
            }
            return nil
        }
    }
}
