import CS3Checksums

/// CRC-32 for the two reflected polynomials S3 offers: CRC-32 (IEEE, `0xEDB88320`) and CRC-32C
/// (Castagnoli, `0x82F63B78`). Table-driven (slicing by 8); CRC-32C uses the CPU's CRC
/// instructions where it has them (SSE4.2, ARMv8 CRC), several times faster.
public struct CRC32: Sendable {
    /// The polynomial and its lookup tables.
    public struct Variant: Sendable {
        let tables: [UInt32]
        let usesHardware: Bool

        init(reflectedPolynomial polynomial: UInt32, hardware: Bool = false) {
            self.usesHardware = hardware
            var tables = [UInt32](repeating: 0, count: 8 * 256)
            for byte in 0..<256 {
                var crc = UInt32(byte)
                for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
                tables[byte] = crc
            }
            for byte in 0..<256 {
                var crc = tables[byte]
                for slice in 1..<8 {
                    crc = tables[Int(crc & 0xFF)] ^ (crc >> 8)
                    tables[slice * 256 + byte] = crc
                }
            }
            self.tables = tables
        }

        /// CRC-32 as zlib, Ethernet and S3's `x-amz-checksum-crc32`.
        public static let ieee = Variant(reflectedPolynomial: 0xEDB8_8320)
        /// CRC-32C as iSCSI and S3's `x-amz-checksum-crc32c`.
        public static let castagnoli = Variant(
            reflectedPolynomial: 0x82F6_3B78, hardware: s3sync_crc32c_hardware_available() != 0)
        /// CRC-32C from the tables only (to check the hardware path against).
        public static let castagnoliTables = Variant(reflectedPolynomial: 0x82F6_3B78)
    }

    public let variant: Variant
    private var state: UInt32 = 0xFFFF_FFFF

    public init(_ variant: Variant) { self.variant = variant }

    /// The checksum of everything passed to ``update(_:)`` so far.
    public var value: UInt32 { ~state }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var pointer = bytes.baseAddress else { return }
        if variant.usesHardware {
            state = s3sync_crc32c_hardware_update(state, pointer, bytes.count)
            return
        }
        var remaining = bytes.count
        var crc = state
        variant.tables.withUnsafeBufferPointer { tables in
            let table = tables.baseAddress!
            while remaining >= 8 {
                let one = UInt32(littleEndian: pointer.loadUnaligned(as: UInt32.self)) ^ crc
                let two = UInt32(littleEndian: pointer.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
                crc =
                    table[7 * 256 + Int(one & 0xFF)] ^ table[6 * 256 + Int((one >> 8) & 0xFF)]
                    ^ table[5 * 256 + Int((one >> 16) & 0xFF)] ^ table[4 * 256 + Int(one >> 24)]
                    ^ table[3 * 256 + Int(two & 0xFF)] ^ table[2 * 256 + Int((two >> 8) & 0xFF)]
                    ^ table[1 * 256 + Int((two >> 16) & 0xFF)] ^ table[Int(two >> 24)]
                pointer += 8
                remaining -= 8
            }
            while remaining > 0 {
                crc = table[Int((crc ^ UInt32(pointer.load(as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
                pointer += 1
                remaining -= 1
            }
        }
        state = crc
    }

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let array = Array(bytes)
        array.withUnsafeBytes { update($0) }
    }
}
