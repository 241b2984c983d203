import Foundation

/// A signing timestamp in the two forms SigV4 uses: `20130524T000000Z` and `20130524`.
public struct AmzDate: Sendable, Hashable {
    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
    public let timestamp: String
    /// The first eight characters of `timestamp`, used in the credential scope.
    public var dateStamp: Substring { timestamp.prefix(8) }
    /// Seconds since 1970.
    public let secondsSince1970: Int
    /// The same instant in ISO 8601's extended form, `2013-05-24T00:00:00Z`.
    public var iso8601: String { Timestamp.iso8601(secondsSince1970: secondsSince1970) }

    /// The whole second `date` falls in.
    public init(_ date: Date) {
        self.init(secondsSince1970: Int(date.timeIntervalSince1970))
    }

    public init(secondsSince1970: Int) {
        self.secondsSince1970 = secondsSince1970
        // The extended form without its dashes and colons.
        timestamp = String(Timestamp.iso8601(secondsSince1970: secondsSince1970).filter { $0 != "-" && $0 != ":" })
    }

    /// Parses `YYYYMMDD'T'HHMMSS'Z'`.
    public init?(timestamp: String) {
        let bytes = Array(timestamp.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
        let seconds = bytes.withUnsafeBufferPointer { bytes -> Int? in
            guard let year = Timestamp.number(bytes, 0, 4), let month = Timestamp.number(bytes, 4, 2),
                let day = Timestamp.number(bytes, 6, 2), let hour = Timestamp.number(bytes, 9, 2),
                let minute = Timestamp.number(bytes, 11, 2), let second = Timestamp.number(bytes, 13, 2),
                (1...12).contains(month), (1...31).contains(day)
            else { return nil }
            return Timestamp.epoch(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        }
        guard let seconds else { return nil }
        self.init(secondsSince1970: seconds)
    }
}
