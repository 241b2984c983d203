/// How a file is cut into parts: the part size (grown so the file fits in 10,000 parts) and count.
public struct PartPlan: Sendable, Hashable {
    public static let maxParts = 10_000
    public static let minPartSize: Int64 = 5 << 20
    public static let maxPartSize: Int64 = 5 << 30

    public let fileSize: Int64
    public let partSize: Int64

    public init(fileSize: Int64, preferredPartSize: Int64) {
        self.fileSize = fileSize
        var size = max(preferredPartSize, Self.minPartSize)
        let needed = (fileSize + Int64(Self.maxParts) - 1) / Int64(Self.maxParts)
        if needed > size {
            // Round up to a whole MiB.
            size = (needed + (1 << 20) - 1) / (1 << 20) * (1 << 20)
        }
        self.partSize = min(size, Self.maxPartSize)
    }

    /// The layout of an object uploaded with parts of exactly `partSize` bytes.
    public init(fileSize: Int64, exactPartSize: Int64) {
        self.fileSize = fileSize
        self.partSize = max(1, exactPartSize)
    }

    public var partCount: Int { max(1, Int((fileSize + partSize - 1) / partSize)) }

    /// Offset and length of a part, 1-based.
    public func range(ofPart number: Int) -> (offset: Int64, length: Int64) {
        let offset = Int64(number - 1) * partSize
        return (offset, min(partSize, fileSize - offset))
    }
}
