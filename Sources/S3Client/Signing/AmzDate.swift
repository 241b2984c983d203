import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A signing timestamp in the two forms SigV4 uses: `20130524T000000Z` and `20130524`.
public struct AmzDate: Sendable, Hashable {
    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
    public let timestamp: String
    /// The first eight characters of `timestamp`, used in the credential scope.
    public var dateStamp: Substring { timestamp.prefix(8) }
    /// Seconds since 1970.
    public let secondsSince1970: Int
    /// The same instant in ISO 8601's extended form, `2013-05-24T00:00:00Z`, for people and JSON.
    public var iso8601: String {
        let t = Array(timestamp)
        return "\(String(t[0..<4]))-\(String(t[4..<6]))-\(String(t[6..<8]))T"
            + "\(String(t[9..<11])):\(String(t[11..<13])):\(String(t[13..<15]))Z"
    }

    /// The whole second `date` falls in.
    public init(_ date: Date) {
        self.init(secondsSince1970: Int(date.timeIntervalSince1970))
    }

    public init(secondsSince1970: Int) {
        self.secondsSince1970 = secondsSince1970
        var time = time_t(secondsSince1970)
        var parts = tm()
        gmtime_r(&time, &parts)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        func append(_ value: Int32, width: Int) {
            var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
            var rest = Int(value)
            for index in stride(from: width - 1, through: 0, by: -1) {
                digits[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            bytes.append(contentsOf: digits)
        }
        append(parts.tm_year + 1900, width: 4)
        append(parts.tm_mon + 1, width: 2)
        append(parts.tm_mday, width: 2)
        bytes.append(UInt8(ascii: "T"))
        append(parts.tm_hour, width: 2)
        append(parts.tm_min, width: 2)
        append(parts.tm_sec, width: 2)
        bytes.append(UInt8(ascii: "Z"))
        timestamp = String(decoding: bytes, as: UTF8.self)
    }

    /// Parses `YYYYMMDD'T'HHMMSS'Z'`.
    public init?(timestamp: String) {
        let bytes = Array(timestamp.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
            let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15)
        else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        self.init(secondsSince1970: Int(timegm(&parts)))
    }
}
