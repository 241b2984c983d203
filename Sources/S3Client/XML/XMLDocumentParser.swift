/// A small, fast XML parser for S3 responses: elements, character data, the five named entities
/// and numeric character references, CDATA; skips the declaration, processing instructions,
/// comments and DOCTYPE. Attributes are read past and dropped.
public enum XMLDocumentParser {
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let offset: Int
        public let reason: String
        public var description: String { "malformed XML at byte \(offset): \(reason)" }
    }

    /// How deep elements may nest. S3's documents nest a few levels; a document nested thousands
    /// deep is refused, since releasing such a tree recurses once per level and overflows the stack.
    static let maxDepth = 256

    /// Parses a document and returns its root element.
    public static func parse(_ bytes: some Collection<UInt8>) throws(ParseError) -> XMLElement {
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { buffer throws(ParseError) in
            var parser = Parser(bytes: buffer)
            return try parser.parseDocument()
        }
    }

    public static func parse(_ string: String) throws(ParseError) -> XMLElement {
        try parse(Array(string.utf8))
    }

    private struct Frame {
        var name: String
        var text: [UInt8]
        var children: [XMLElement]
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        /// The elements open at `index`, innermost last.
        var stack: [Frame] = []
        var root: XMLElement?

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func parseDocument() throws(ParseError) -> XMLElement {
            while index < bytes.count {
                guard bytes[index] == UInt8(ascii: "<") else {
                    try readText()
                    continue
                }
                guard index + 1 < bytes.count else { throw ParseError(offset: index, reason: "truncated tag") }
                switch bytes[index + 1] {
                case UInt8(ascii: "?"): try skip(past: "?>")
                case UInt8(ascii: "!"): try readMarkupDeclaration()
                case UInt8(ascii: "/"): try readEndTag()
                default: try readStartTag()
                }
            }
            guard stack.isEmpty, let root else {
                throw ParseError(
                    offset: index, reason: stack.isEmpty ? "no root element" : "unclosed <\(stack.last!.name)>")
            }
            return root
        }

        /// Character data up to the next `<`: the open element's text; outside the root, only
        /// whitespace may stand.
        @inline(__always)
        mutating func readText() throws(ParseError) {
            let start = index
            while index < bytes.count && bytes[index] != UInt8(ascii: "<") { index += 1 }
            if !stack.isEmpty {
                // A static function: a method of `self` would need a copy of `self` while the
                // stack is borrowed, and that copy would make the stack copy itself on write.
                try Self.appendText(bytes, from: start, to: index, into: &stack[stack.count - 1].text)
                return
            }
            for offset in start..<index where !isSpace(bytes[offset]) {
                throw ParseError(offset: offset, reason: "text outside the root element")
            }
        }

        /// `<!--…-->` (skipped), `<![CDATA[…]]>` (text), `<!DOCTYPE…>` (skipped).
        @inline(__always)
        mutating func readMarkupDeclaration() throws(ParseError) {
            if hasPrefix("<!--", at: index) {
                try skip(past: "-->")
            } else if hasPrefix("<![CDATA[", at: index) {
                let start = index + 9
                guard let end = find("]]>", from: start) else {
                    throw ParseError(offset: index, reason: "unterminated CDATA")
                }
                if !stack.isEmpty { stack[stack.count - 1].text.append(contentsOf: bytes[start..<end]) }
                index = end + 3
            } else {
                try skip(past: ">")
            }
        }

        @inline(__always)
        mutating func readEndTag() throws(ParseError) {
            index += 2
            let name = readName()
            while index < bytes.count && bytes[index] != UInt8(ascii: ">") { index += 1 }
            guard index < bytes.count else { throw ParseError(offset: index, reason: "truncated end tag") }
            index += 1
            guard let frame = stack.popLast(), frame.name == name else {
                throw ParseError(offset: index, reason: "unexpected end tag </\(name)>")
            }
            add(
                XMLElement(
                    name: frame.name, text: String(decoding: frame.text, as: UTF8.self), children: frame.children))
        }

        @inline(__always)
        mutating func readStartTag() throws(ParseError) {
            index += 1
            let name = readName()
            guard !name.isEmpty else { throw ParseError(offset: index, reason: "missing element name") }
            let selfClosing = skipAttributes()
            if root != nil && stack.isEmpty {
                throw ParseError(offset: index, reason: "second root element <\(name)>")
            }
            if selfClosing {
                add(XMLElement(name: name))
                return
            }
            guard stack.count < maxDepth else {
                throw ParseError(offset: index, reason: "elements nested more than \(maxDepth) deep")
            }
            stack.append(Frame(name: name, text: [], children: []))
        }

        /// Reads past a start tag's attributes and its `>`; returns whether it was `/>`.
        @inline(__always)
        mutating func skipAttributes() -> Bool {
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    index += 1
                    while index < bytes.count && bytes[index] != byte { index += 1 }
                    index += 1
                } else if byte == UInt8(ascii: "/") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: ">")
                {
                    index += 2
                    return true
                } else if byte == UInt8(ascii: ">") {
                    index += 1
                    return false
                } else {
                    index += 1
                }
            }
            return false
        }

        /// A finished element: a child of the open one, or the root.
        @inline(__always)
        mutating func add(_ element: XMLElement) {
            if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
        }

        @inline(__always)
        func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
        }

        mutating func readName() -> String {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if isSpace(byte) || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") { break }
                index += 1
            }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        }

        func hasPrefix(_ literal: StaticString, at offset: Int) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard offset + count <= bytes.count else { return false }
            let pointer = literal.utf8Start
            for position in 0..<count where bytes[offset + position] != pointer[position] { return false }
            return true
        }

        func find(_ literal: StaticString, from offset: Int) -> Int? {
            var position = offset
            while position < bytes.count {
                if hasPrefix(literal, at: position) { return position }
                position += 1
            }
            return nil
        }

        mutating func skip(past literal: StaticString) throws(ParseError) {
            guard let end = find(literal, from: index + 1) else {
                throw ParseError(offset: index, reason: "unterminated markup")
            }
            index = end + literal.utf8CodeUnitCount
        }

        static func appendText(
            _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, into text: inout [UInt8]
        ) throws(ParseError) {
            var position = start
            while position < end {
                let byte = bytes[position]
                if byte != UInt8(ascii: "&") {
                    text.append(byte)
                    position += 1
                    continue
                }
                var semicolon = position + 1
                while semicolon < end && bytes[semicolon] != UInt8(ascii: ";") && semicolon - position < 12 {
                    semicolon += 1
                }
                guard semicolon < end, bytes[semicolon] == UInt8(ascii: ";") else {
                    throw ParseError(offset: position, reason: "unterminated entity")
                }
                let entity = Array(bytes[(position + 1)..<semicolon])
                switch String(decoding: entity, as: UTF8.self) {
                case "lt": text.append(UInt8(ascii: "<"))
                case "gt": text.append(UInt8(ascii: ">"))
                case "amp": text.append(UInt8(ascii: "&"))
                case "quot": text.append(UInt8(ascii: "\""))
                case "apos": text.append(UInt8(ascii: "'"))
                default:
                    guard entity.first == UInt8(ascii: "#") else {
                        throw ParseError(offset: position, reason: "unknown entity")
                    }
                    let digits = entity.dropFirst()
                    let isHex = digits.first == UInt8(ascii: "x") || digits.first == UInt8(ascii: "X")
                    let numberText = String(decoding: isHex ? digits.dropFirst() : digits, as: UTF8.self)
                    guard let value = UInt32(numberText, radix: isHex ? 16 : 10), let scalar = Unicode.Scalar(value)
                    else {
                        throw ParseError(offset: position, reason: "bad character reference")
                    }
                    text.append(contentsOf: String(Character(scalar)).utf8)
                }
                position = semicolon + 1
            }
        }
    }
}
