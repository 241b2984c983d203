extension String {
    /// Zero-padded on the left to `width` characters.
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }

    /// `\xNN`: how a byte or control character that cannot be shown is written.
    static func hexEscape(_ value: UInt32) -> String {
        "\\x" + String(value, radix: 16, uppercase: true).leftPadded(2)
    }

    /// The text with control characters escaped: C0 and DEL as `\xNN`, C1 as `\u{NN}`. A file
    /// name may hold any of them; shown raw, a newline splits a log line and an escape sequence
    /// drives the terminal.
    package var singleLine: String {
        func isC0OrDelete(_ value: UInt32) -> Bool { value < 0x20 || value == 0x7F }
        func isC1(_ value: UInt32) -> Bool { (0x80...0x9F).contains(value) }
        guard unicodeScalars.contains(where: { isC0OrDelete($0.value) || isC1($0.value) }) else { return self }
        var result = ""
        for scalar in unicodeScalars {
            if isC0OrDelete(scalar.value) {
                result += Self.hexEscape(scalar.value)
            } else if isC1(scalar.value) {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
