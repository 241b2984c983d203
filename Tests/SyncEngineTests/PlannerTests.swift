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

    func plan(_ root: String, remote keys: [String], options: SyncOptions = SyncOptions(), prefix: String = "p/")
        async throws -> [PlanItem]
    {
        let location = S3Location(bucket: "b", prefix: prefix)
        let sorted = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let listing = Listing(objects: sorted.map { ObjectSummary(key: $0, size: 1, eTag: "e", lastModified: 4e9) })
        var items: [PlanItem] = []
        _ = try await Planner(location: location, endpoint: "e", options: options).plan(
            local: try LocalWalker(root: root), remote: listing, store: nil
        ) { items.append($0) }
        return items
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
