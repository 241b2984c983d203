import Foundation

/// Sizes as users write them (`8MiB`, `64M`, `1GiB`, `500k`, `1048576`) and as s3sync prints them.
public enum ByteCount {
    /// Parses a size; `K/M/G/T` and `KiB/MiB/GiB/TiB` are both binary (as rclone), `KB/MB/GB` decimal.
    public static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        var number = Substring(trimmed)
        var unit = Substring("")
        if let index = trimmed.firstIndex(where: { $0.isLetter }) {
            number = trimmed[..<index]
            unit = trimmed[index...]
        }
        guard let value = Double(number.trimmingCharacters(in: .whitespaces)), value >= 0, value.isFinite else {
            return nil
        }
        let multiplier: Double
        switch unit.lowercased() {
        case "", "b": multiplier = 1
        case "k", "ki", "kib": multiplier = 1024
        case "m", "mi", "mib": multiplier = 1024 * 1024
        case "g", "gi", "gib": multiplier = 1024 * 1024 * 1024
        case "t", "ti", "tib": multiplier = 1024 * 1024 * 1024 * 1024
        case "kb": multiplier = 1000
        case "mb": multiplier = 1_000_000
        case "gb": multiplier = 1_000_000_000
        case "tb": multiplier = 1_000_000_000_000
        default: return nil
        }
        let bytes = value * multiplier
        guard bytes < 9.0e18 else { return nil }
        return Int64(bytes.rounded())
    }

    /// `1.5 MiB`, `312 B`.
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
