/// Percent-encoding as S3's SigV4 wants it: every byte outside `A-Z a-z 0-9 - . _ ~` becomes
/// `%XX` with uppercase hex, exactly once (S3 does not double-encode paths).
public enum S3PercentEncoding {
    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    @inline(__always)
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Encodes a string for a query name or value: `/` is encoded too.
    public static func encodeQueryComponent(_ value: String) -> String {
        encode(value, keepingSlash: false)
    }

    /// Encodes an object key (or any path) for the URI: `/` is kept.
    public static func encodePath(_ value: String) -> String {
        encode(value, keepingSlash: true)
    }

    static func encode(_ value: String, keepingSlash: Bool) -> String {
        var needsWork = false
        for byte in value.utf8 where !(isUnreserved(byte) || (keepingSlash && byte == UInt8(ascii: "/"))) {
            needsWork = true
            break
        }
        if !needsWork { return value }
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count * 3)
        for byte in value.utf8 {
            if isUnreserved(byte) || (keepingSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes; with `plusAsSpace`, `+` becomes a space (the form S3 uses for
    /// `encoding-type=url` in listings, as botocore's `unquote_plus`).
    /// Returns `nil` if the escapes are malformed or the result is not valid UTF-8.
    public static func decode(_ value: some StringProtocol, plusAsSpace: Bool) -> String? {
        let utf8 = value.utf8
        var hasEscape = false
        for byte in utf8 where byte == UInt8(ascii: "%") || (plusAsSpace && byte == UInt8(ascii: "+")) {
            hasEscape = true
            break
        }
        if !hasEscape { return String(value) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let first = utf8.index(after: index)
                guard first != utf8.endIndex else { return nil }
                let second = utf8.index(after: first)
                guard second != utf8.endIndex, let high = hexValue(utf8[first]), let low = hexValue(utf8[second])
                else { return nil }
                out.append(high << 4 | low)
                index = utf8.index(after: second)
                continue
            }
            out.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index = utf8.index(after: index)
        }
        return String(validating: out, as: UTF8.self)
    }

    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Builds the canonical query string: each name and value encoded, sorted by encoded name
    /// then value, joined with `&`; a missing value is written `name=`.
    public static func canonicalQuery(_ items: [(name: String, value: String)]) -> String {
        if items.isEmpty { return "" }
        var encoded = items.map { (encodeQueryComponent($0.name), encodeQueryComponent($0.value)) }
        encoded.sort { lhs, rhs in
            if lhs.0 != rhs.0 { return lhs.0.utf8.lexicographicallyPrecedes(rhs.0.utf8) }
            return lhs.1.utf8.lexicographicallyPrecedes(rhs.1.utf8)
        }
        var result = ""
        result.reserveCapacity(encoded.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 2 })
        for (offset, pair) in encoded.enumerated() {
            if offset > 0 { result.append("&") }
            result.append(pair.0)
            result.append("=")
            result.append(pair.1)
        }
        return result
    }
}
