/// The timestamps s3sync reads and writes, as seconds since 1970 in UTC: ISO 8601 / RFC 3339
/// (`2013-05-24T00:00:00.000Z` in listings, `2024-05-01T14:00:00+02:00` from credential sources)
/// and RFC 1123 (`Fri, 24 May 2013 00:00:00 GMT` in headers). No libc time zone is involved.
public enum Timestamp {
    /// Either form; `nil` when the text is neither.
    public static func parse(_ text: String) -> Double? {
        parseISO8601(text) ?? parseRFC1123(text)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`, `T`/`Z` in either case or a space for `T`.
    public static func parseISO8601(_ text: String) -> Double? {
        var text = text
        return text.withUTF8(parseISO8601(bytes:))
    }

    static func parseISO8601(bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        func at(_ index: Int, _ scalar: Unicode.Scalar) -> Bool {
            index < bytes.count && bytes[index] == UInt8(truncatingIfNeeded: scalar.value)
        }
        guard bytes.count >= 20, at(4, "-"), at(7, "-"), at(10, "T") || at(10, "t") || at(10, " "), at(13, ":"),
            at(16, ":"), let year = number(bytes, 0, 4), let month = number(bytes, 5, 2),
            let day = number(bytes, 8, 2), let hour = number(bytes, 11, 2), let minute = number(bytes, 14, 2),
            let second = number(bytes, 17, 2), (1...12).contains(month), (1...31).contains(day), hour < 24,
            minute < 60, second <= 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if at(index, ".") {
            index += 1
            let start = index
            var scale = 0.1
            while index < bytes.count, let digit = digit(bytes[index]) {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offset = 0
        if at(index, "Z") || at(index, "z") {
            index += 1
        } else if at(index, "+") || at(index, "-") {
            guard index + 6 <= bytes.count, at(index + 3, ":"), let hours = number(bytes, index + 1, 2),
                let minutes = number(bytes, index + 4, 2)
            else { return nil }
            offset = (at(index, "-") ? -1 : 1) * (hours * 3600 + minutes * 60)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        return Double(epoch(year: year, month: month, day: day, hour: hour, minute: minute, second: second) - offset)
            + fraction
    }

    /// `Day, DD Mon YYYY HH:MM:SS GMT`.
    public static func parseRFC1123(_ text: String) -> Double? {
        let parts = text.split(separator: " ")
        guard parts.count >= 5, let day = Int(parts[1]), let year = Int(parts[3]) else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let monthIndex = months.firstIndex(of: String(parts[2])) else { return nil }
        let time = parts[4].split(separator: ":")
        guard time.count == 3, let hour = Int(time[0]), let minute = Int(time[1]), let second = Int(time[2]) else {
            return nil
        }
        // Out-of-range fields are not a date, and would overflow the arithmetic below.
        guard (0...9999).contains(year), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute),
            (0...60).contains(second)
        else { return nil }
        return Double(epoch(year: year, month: monthIndex + 1, day: day, hour: hour, minute: minute, second: second))
    }

    /// The whole second in ISO 8601's extended form, `2013-05-24T00:00:00Z`, for people and JSON.
    public static func iso8601(secondsSince1970: Int) -> String {
        let civil = civil(secondsSince1970: secondsSince1970)
        func padded(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(padded(civil.year, 4))-\(padded(civil.month, 2))-\(padded(civil.day, 2))T"
            + "\(padded(civil.hour, 2)):\(padded(civil.minute, 2)):\(padded(civil.second, 2))Z"
    }

    /// Seconds since 1970 of a UTC civil time (days from civil, Howard Hinnant's algorithm).
    static func epoch(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + hour * 3_600 + minute * 60 + second
    }

    /// The UTC civil time of an instant (civil from days, the inverse of ``epoch``).
    static func civil(secondsSince1970: Int) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let (days, secondOfDay) = secondsSince1970.quotientAndRemainder(dividingBy: 86_400)
        let (z, time) = secondOfDay < 0 ? (days - 1 + 719_468, secondOfDay + 86_400) : (days + 719_468, secondOfDay)
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day, time / 3600, time % 3600 / 60, time % 60)
    }

    @inline(__always)
    static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }

    static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int? {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for index in start..<(start + count) {
            guard let digit = digit(bytes[index]) else { return nil }
            value = value * 10 + digit
        }
        return value
    }
}
