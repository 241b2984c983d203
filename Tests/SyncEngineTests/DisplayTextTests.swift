import Testing

@testable import SyncEngine

@Suite struct DisplayTextTests {
    @Test func controlCharactersAreEscapedSoAMessageStaysOneLine() {
        #expect("error: a\nb: gone".singleLine == "error: a\\x0Ab: gone")
        #expect("\t\r\u{1B}[2J\u{7F}".singleLine == "\\x09\\x0D\\x1B[2J\\x7F")
        #expect("next\u{85}line \u{9B}".singleLine == "next\\u{85}line \\u{9B}")
    }

    @Test func printableTextIsUnchanged() {
        for text in ["plain/path.txt", "日本語 😀 é e\u{301}", "back\\slash", "\u{A0}\u{2028}\u{FEFF}", ""] {
            #expect(text.singleLine == text)
        }
    }
}
