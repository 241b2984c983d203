/// Builds the small XML request bodies S3 takes (CompleteMultipartUpload, Delete).
struct XMLWriter {
    private(set) var output = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"

    mutating func open(_ name: String, namespace: String? = nil) {
        if let namespace {
            output += "<\(name) xmlns=\"\(namespace)\">"
        } else {
            output += "<\(name)>"
        }
    }

    mutating func close(_ name: String) {
        output += "</\(name)>"
    }

    mutating func element(_ name: String, _ text: String) {
        output += "<\(name)>"
        output += Self.escape(text)
        output += "</\(name)>"
    }

    /// Escapes character data; characters XML 1.0 cannot carry become numeric references, which
    /// S3 rejects, so callers avoid sending such keys in XML.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "&": result += "&amp;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\r": result += "&#13;"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Whether XML 1.0 can carry the text (no control characters other than tab, newline, return).
    static func canRepresent(_ text: String) -> Bool {
        for byte in text.utf8 where byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D {
            return false
        }
        return true
    }
}
