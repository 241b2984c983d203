import Foundation

/// A local directory tree for a test, with helpers to write files of known content.
public struct SourceTree: Sendable {
    public let root: String

    public init(_ label: String = "src") throws {
        root = try TestEnvironment.makeTemporaryDirectory(label)
    }

    public func path(_ relative: String) -> String { root + "/" + relative }

    /// Writes a file (creating directories); returns its bytes.
    @discardableResult
    public func write(_ relative: String, _ contents: String) throws -> Data {
        try write(relative, Data(contents.utf8))
    }

    @discardableResult
    public func write(_ relative: String, _ data: Data) throws -> Data {
        let full = path(relative)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: full))
        return data
    }

    /// Writes `size` pseudo-random bytes from a seed (fast, reproducible).
    @discardableResult
    public func writeRandom(_ relative: String, size: Int, seed: UInt64 = 1) throws -> Data {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for index in 0..<words.count {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                words[index] = state
            }
            for index in (words.count * 8)..<size {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                raw[index] = UInt8(truncatingIfNeeded: state)
            }
        }
        return try write(relative, Data(bytes))
    }

    /// Sets a file's modification time.
    public func setMTime(_ relative: String, secondsSince1970: Double) throws {
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: secondsSince1970)], ofItemAtPath: path(relative))
    }

    public func remove(_ relative: String) throws {
        try FileManager.default.removeItem(atPath: path(relative))
    }

    public func delete() { TestEnvironment.removeTree(root) }
}

extension Data {
    /// Lowercase hex MD5, to compare with what boto3 reports.
    public var md5Hex: String {
        var hasher = MD5Hasher()
        hasher.update(self)
        return hasher.hex
    }
}
