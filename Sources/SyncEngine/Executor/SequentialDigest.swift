import Crypto
import NIOPosix
import S3Client

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The MD5 of a file whose ranges are written in any order: each range is read back (from the
/// page cache) and hashed as soon as every range before it is there, so the hashing overlaps the
/// ranges still downloading instead of following them.
struct SequentialDigest: Sendable {
    let plan: PartPlan
    private var md5 = Insecure.MD5()
    /// The next range to hash (1-based); all before it are hashed.
    private(set) var next = 1
    private var ready: Set<Int> = []

    init(plan: PartPlan, ready: some Sequence<Int>) {
        self.plan = plan
        self.ready = Set(ready)
    }

    /// Notes that a range is in the file.
    mutating func add(_ number: Int) {
        ready.insert(number)
    }

    /// Hashes every range that follows the hashed ones without a gap, on the blocking-I/O pool.
    mutating func advance(reading fd: Int32) async throws {
        var numbers: [Int] = []
        while ready.contains(next + numbers.count) { numbers.append(next + numbers.count) }
        guard !numbers.isEmpty else { return }
        let first = plan.range(ofPart: numbers[0]).offset
        let last = plan.range(ofPart: numbers[numbers.count - 1])
        let state = md5
        md5 = try await NIOThreadPool.singleton.runIfActive {
            var md5 = state
            try Self.hash(fd, from: first, to: last.offset + last.length, into: &md5)
            return md5
        }
        next += numbers.count
        for number in numbers { ready.remove(number) }
    }

    /// The hex MD5 of the whole file, once every range is hashed; `nil` before.
    var value: String? {
        next > plan.partCount ? Hex.encode(md5.finalize()) : nil
    }

    static func hash(_ fd: Int32, from start: Int64, to end: Int64, into md5: inout Insecure.MD5) throws {
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buffer.deallocate() }
        var position = start
        while position < end {
            let count = pread(fd, buffer.baseAddress!, Int(min(Int64(chunk), end - position)), off_t(position))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw LocalPathError("cannot read back the download: \(String(cString: strerror(errno)))")
            }
            md5.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            position += Int64(count)
        }
    }
}
