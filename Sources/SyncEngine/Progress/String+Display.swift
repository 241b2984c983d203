extension String {
    /// Zero-padded on the left to `width` characters.
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }

    /// The text with control characters escaped: C0 and DEL as `\xNN`, C1 as `\u{NN}`. A file
    /// name may hold any of them; shown raw, a newline splits a log line and an escape sequence
    /// drives the terminal.
    var singleLine: String {
        func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) }
        guard unicodeScalars.contains(where: isControl) else { return self }
        var result = ""
        for scalar in unicodeScalars {
            let hex = String(scalar.value, radix: 16, uppercase: true).leftPadded(2)
            if scalar.value < 0x20 || scalar.value == 0x7F {
                result += "\\x" + hex
            } else if isControl(scalar) {
                result += "\\u{" + hex + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
