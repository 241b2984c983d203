import Foundation

/// A directory under the system temporary directory for one benchmark's files, removed by its
/// teardown.
enum ScratchDirectory {
    static func path(_ name: String) -> String {
        NSTemporaryDirectory() + "s3sync-benchmarks-\(getpid())/\(name)"
    }

    static func remove(_ name: String) {
        try? FileManager.default.removeItem(atPath: path(name))
    }
}
