/// Runs `body` for each item with at most `window` running at once (a task group that starts the
/// next item as one finishes), and hands each result to `collect` as it finishes, in the calling
/// task. The first error cancels the rest and is thrown.
func forEachConcurrently<Item: Sendable, Result: Sendable>(
    _ items: [Item], window: Int, _ body: @escaping @Sendable (Item) async throws -> Result,
    collect: (Result) async throws -> Void
) async throws {
    guard !items.isEmpty else { return }
    try await withThrowingTaskGroup(of: Result.self) { group in
        var next = 0
        func startNext() {
            guard next < items.count else { return }
            let item = items[next]
            next += 1
            group.addTask { try await body(item) }
        }
        for _ in 0..<min(max(1, window), items.count) { startNext() }
        while let result = try await group.next() {
            startNext()
            try await collect(result)
        }
    }
}
