import Foundation
import S3Client
import S3TestSupport
import Testing

@testable import SyncEngine

/// The planner's merge against an in-memory listing (the real listing is covered by the CLI tests).
@Suite struct PlannerTests {
    struct Listing: AsyncSequence {
        typealias Element = ObjectSummary
        let objects: [ObjectSummary]
        struct AsyncIterator: AsyncIteratorProtocol {
            var remaining: [ObjectSummary]
            mutating func next() async throws -> ObjectSummary? { remaining.isEmpty ? nil : remaining.removeFirst() }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: objects) }
    }

    func tree(_ paths: [String]) throws -> String {
        let root = try TestEnvironment.makeTemporaryDirectory("plan")
        for path in paths {
            let full = root + "/" + path
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: full))
        }
        return root
    }

    func plan(
        _ root: String, remote keys: [String], options: SyncOptions = SyncOptions(), prefix: String = "p/",
        store: (any JobStore)? = nil, contentMatches: Bool? = nil, direction: JobRecord.Direction = .push,
        lastModified: Double = 4e9
    ) async throws -> [PlanItem] {
        let location = S3Location(bucket: "b", prefix: prefix)
        let sorted = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let listing = Listing(
            objects: sorted.map { ObjectSummary(key: $0, size: 1, eTag: "e", lastModified: lastModified) })
        let rule: any PlanRule =
            direction == .push
            ? PushRule(location: location, options: options) : PullRule(location: location, options: options)
        var items: [PlanItem] = []
        _ = try await Planner(location: location, endpoint: "e", options: options, rule: rule).plan(
            local: try LocalWalker(root: root, followSymlinks: direction == .push), remote: listing, store: store,
            contentMatches: { _, _, _ in contentMatches }, emit: { items.append($0) })
        return items
    }

    /// The stat the walker sees for each file of a tree.
    func stats(_ root: String) throws -> [String: FileIdentity] {
        var result: [String: FileIdentity] = [:]
        for case .file(let file) in try LocalWalker(root: root) { result[file.relativePath] = file.stat }
        return result
    }

    /// Index records as an upload of each file with its stat now would leave them (key `p/PATH`).
    func records(_ stats: [String: FileIdentity], eTag: String = "e") -> [String: IndexRecord] {
        stats.reduce(into: [:]) { result, entry in
            result[entry.key] = IndexRecord(
                endpoint: "e", bucket: "b", key: "p/" + entry.key, identity: entry.value, eTag: eTag, md5: nil,
                partSize: 0, multipartMD5: nil, uploadedAt: 0)
        }
    }

    /// What the plan did with each file: `skip`, `upload REASON`, `refresh` for an index record
    /// brought up to date (checked to carry the file's stat and the listed ETag).
    func outcomes(_ items: [PlanItem], stats: [String: FileIdentity]) -> [String] {
        items.compactMap { item in
            switch item {
            case .skip(let file): return "\(file.relativePath): skip"
            case .upload(let file, let reason): return "\(file.relativePath): upload \(reason)"
            case .download(_, let path, let reason): return "\(path): download \(reason)"
            case .removeLocal(let file): return "\(file.relativePath): remove"
            case .makeDirectory(let path): return "\(path)/: mkdir"
            case .refreshIndexRecord(let record):
                let path = String(record.key.dropFirst(2))
                // The record carries the file's stat now, and the directory walked.
                let current =
                    stats[path].map { stat in
                        var expected = records([path: stat])[path]
                        expected?.root = record.root
                        return record == expected && record.root.hasPrefix("/")
                    } == true
                return "\(path): refresh\(current ? "" : " (stale)")"
            case .delete, .problem: return nil
            }
        }
    }

    /// Index rows written before s3sync kept the ctime are trusted as before (size, mtime, inode)
    /// and brought up to date with the full stat; a row with the full stat catches an edit whose
    /// mtime was put back by its ctime.
    @Test func recordsWithoutCtimeAreRefreshedAndAChangedCtimeUploads() async throws {
        let root = try tree(["edited", "old", "same"])
        defer { TestEnvironment.removeTree(root) }
        let stats = try stats(root)
        var records = records(stats)
        records["old"]?.ctimeNanoseconds = nil
        records["old"]?.device = nil
        records["edited"]?.ctimeNanoseconds? -= 1
        let store = try SQLiteJobStore.inMemory()
        try await store.recordUploads(Array(records.values))
        let items = try await plan(root, remote: ["p/edited", "p/old", "p/same"], store: store)
        #expect(outcomes(items, stats: stats) == ["edited: upload ctime", "old: skip", "old: refresh", "same: skip"])
    }

    /// `--checksum` reads a file whose record cannot vouch for it; when the content is the
    /// object's, the record is brought up to date, so the next run does not read it again.
    @Test func checksumRecordsTheStatOfContentItFoundEqual() async throws {
        let root = try tree(["chmodded", "old", "unrecorded"])
        defer { TestEnvironment.removeTree(root) }
        let stats = try stats(root)
        var records = records(stats, eTag: "listed-elsewhere")
        records["chmodded"]?.ctimeNanoseconds? -= 1
        records["old"]?.ctimeNanoseconds = nil
        records["unrecorded"] = nil
        let store = try SQLiteJobStore.inMemory()
        try await store.recordUploads(Array(records.values))
        var options = SyncOptions()
        options.compare = .checksum
        let keys = ["p/chmodded", "p/old", "p/unrecorded"]
        let equal = try await plan(root, remote: keys, options: options, store: store, contentMatches: true)
        #expect(
            outcomes(equal, stats: stats) == [
                "chmodded: skip", "chmodded: refresh", "old: skip", "old: refresh", "unrecorded: skip",
            ])
        let different = try await plan(root, remote: keys, options: options, store: store, contentMatches: false)
        #expect(
            outcomes(different, stats: stats) == [
                "chmodded: upload content", "old: upload content", "unrecorded: upload content",
            ])
    }

    /// A pull downloads what the directory lacks, what differs in size and (without a record)
    /// what the store dates later than the file; markers become directories; with `--delete`
    /// files without objects go, excluded ones never.
    @Test func pullDecidesByTheRemoteSide() async throws {
        let root = try tree(["both", "local-only", "kept.log"])
        defer { TestEnvironment.removeTree(root) }
        var options = SyncOptions()
        options.delete = true
        options.filters = [FilterRule(.exclude, "*.log")]
        let keys = ["p/both", "p/dir/", "p/new", "p/skipped.log"]
        let older = try await plan(root, remote: keys, options: options, direction: .pull, lastModified: 1e9)
        #expect(
            outcomes(older, stats: [:]) == ["both: skip", "dir/: mkdir", "local-only: remove", "new: download new"])
        let newer = try await plan(root, remote: keys, options: options, direction: .pull, lastModified: 4e9)
        #expect(outcomes(newer, stats: [:]).first == "both: download mtime")
    }

    /// Keys that are not paths under the directory are failures, never downloads.
    @Test func pullRefusesKeysThatLeaveTheDirectory() async throws {
        let root = try tree([])
        defer { TestEnvironment.removeTree(root) }
        let keys = ["p/../x", "p/a/../../x", "p/./y", "p/a//b", "p//abs", "p/ok"]
        let items = try await plan(root, remote: keys, direction: .pull)
        var downloads: [String] = []
        var problems: [String] = []
        for item in items {
            switch item {
            case .download(_, let path, _): downloads.append(path)
            case .problem(let problem):
                #expect(problem.severity == .failure)
                problems.append(problem.path)
            default: Issue.record("unexpected \(item)")
            }
        }
        #expect(downloads == ["ok"])
        #expect(Set(problems) == ["../x", "a/../../x", "./y", "a//b", "/abs"])
    }

    @Test func theKeyOrderTrapCausesNoUploadsAndNoDeletes() async throws {
        let paths = ["a-b", "a/b", "a0", "a.b", "a/b-c/d", "a/b/c"].filter { $0 != "a/b" }
        let root = try tree(paths)
        defer { TestEnvironment.removeTree(root) }
        var options = SyncOptions()
        options.delete = true
        let items = try await plan(root, remote: paths.map { "p/" + $0 }, options: options)
        for item in items {
            if case .skip = item { continue }
            Issue.record("unexpected \(item)")
        }
        #expect(items.count == paths.count)
    }

    @Test func deletesStayInsideThePrefixAndSkipExcludedKeys() async throws {
        let root = try tree(["keep"])
        defer { TestEnvironment.removeTree(root) }
        var options = SyncOptions()
        options.delete = true
        options.filters = [FilterRule(.exclude, "*.log")]
        let items = try await plan(
            root, remote: ["p/keep", "p/gone", "p/old.log", "p/dir/", "p/sub/gone2"], options: options)
        let deletes = items.compactMap { item -> String? in
            if case .delete(let key) = item { return key }
            return nil
        }
        #expect(deletes == ["p/gone", "p/sub/gone2"])
    }

    @Test func withoutDeleteRemoteOnlyKeysAreLeftAlone() async throws {
        let root = try tree(["new"])
        defer { TestEnvironment.removeTree(root) }
        let items = try await plan(root, remote: ["p/other"])
        #expect(items.count == 1)
        if case .upload(let file, let reason) = items[0] {
            #expect(file.relativePath == "new")
            #expect(reason == "new")
        } else {
            Issue.record("expected an upload, got \(items[0])")
        }
    }

    @Test func keysOverTheLimitAreFailures() async throws {
        let long =
            String(repeating: "n", count: 200) + "/" + String(repeating: "m", count: 200) + "/"
            + String(repeating: "o", count: 200) + "/" + String(repeating: "q", count: 200) + "/"
            + String(repeating: "r", count: 230)
        let root = try tree([long])
        defer { TestEnvironment.removeTree(root) }
        let items = try await plan(root, remote: [], prefix: "prefix/")
        guard case .problem(let problem) = items.first else {
            Issue.record("expected a problem")
            return
        }
        #expect(problem.severity == .failure)
        #expect(problem.reason.contains("1024"))
    }
}
