import Foundation

/// Lengths of time as users write them (`30s`, `5m`, `24h`, `7d`, `1h30m`) and as s3sync prints them.
public enum TimeSpan {
    /// Seconds in each unit a span may be written in.
    static let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]

    /// Parses a span into seconds: numbers each followed by `s`, `m`, `h`, `d` or `w`, added up
    /// (`1h30m`); a bare `0` is zero.
    /// - Returns: `nil` for anything else (a number without a unit, a negative number, an unknown unit).
    public static func parse(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed == "0" { return 0 }
        guard !trimmed.isEmpty else { return nil }
        var total = 0.0
        var number = ""
        for character in trimmed {
            if character.isNumber || character == "." {
                number.append(character)
            } else if let seconds = units[character], let value = Double(number), value.isFinite {
                total += value * seconds
                number = ""
            } else {
                return nil
            }
        }
        guard number.isEmpty, total.isFinite, total < 1e15 else { return nil }
        return total
    }

    /// `45s`, `3m05s`, `2h10m`, `3d4h`: the two largest units, rounded down to whole seconds.
    public static func format(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let total = Int(max(0, seconds))
        let days = total / 86400
        let hours = total / 3600 % 24
        let minutes = total / 60 % 60
        let rest = total % 60
        if days > 0 { return hours > 0 ? "\(days)d\(hours)h" : "\(days)d" }
        if hours > 0 { return minutes > 0 ? "\(hours)h\(pad(minutes))m" : "\(hours)h" }
        if minutes > 0 { return rest > 0 ? "\(minutes)m\(pad(rest))s" : "\(minutes)m" }
        return "\(rest)s"
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
