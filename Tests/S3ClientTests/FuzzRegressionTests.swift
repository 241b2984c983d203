import Foundation
import S3TestSupport
import Testing

@testable import S3Client

/// Every input that once crashed a fuzz target (kept in `Fuzz/Regressions/TARGET/` by
/// `scripts/fuzz.sh`) goes through the same code and checks as in the target: it may be rejected
/// with an error, never crash.
@Suite struct FuzzRegressionTests {
    @Test func xmlInputsThatOnceCrashedTheParserAreErrorsOrDocuments() throws {
        for input in try Self.keptInputs(of: "XMLDocumentParserFuzzer") {
            _ = try? XMLDocumentParser.parse(input)
            let text = String(decoding: input, as: UTF8.self)
            let parsed = try XMLDocumentParser.parse("<Key>" + XMLWriter.escape(text) + "</Key>")
            #expect(parsed.text.utf8.elementsEqual(text.utf8))
        }
    }

    @Test func listingInputsThatOnceCrashedTheDecodingAreErrorsOrPages() throws {
        for input in try Self.keptInputs(of: "ListObjectsPageFuzzer") {
            if let root = try? XMLDocumentParser.parse(input) { _ = try? ListObjectsPage.parse(root) }
            let text = String(decoding: input, as: UTF8.self)
            _ = S3PercentEncoding.decode(text, plusAsSpace: true)
            let path = S3PercentEncoding.decode(S3PercentEncoding.encodePath(text), plusAsSpace: false)
            #expect(path?.utf8.elementsEqual(text.utf8) == true)
            let query = S3PercentEncoding.decode(S3PercentEncoding.encodeQueryComponent(text), plusAsSpace: true)
            #expect(query?.utf8.elementsEqual(text.utf8) == true)
        }
    }

    @Test func configInputsThatOnceCrashedTheParserAreErrorsOrConfigurations() throws {
        for input in try Self.keptInputs(of: "SharedConfigParserFuzzer") {
            let text = String(decoding: input, as: UTF8.self)
            _ = try? SharedConfigParser.parse(text, kind: .config, source: "config")
            _ = try? SharedConfigParser.parse(text, kind: .credentials, source: "credentials")
            let split = input.firstIndex(of: 0) ?? input.endIndex
            _ = try? SharedConfigParser.parse(
                config: String(decoding: input[..<split], as: UTF8.self),
                credentials: String(decoding: input[min(split + 1, input.endIndex)...], as: UTF8.self))
        }
    }

    @Test func documentsNestedDeeperThanTheLimitAreRefusedNotReleasedRecursively() throws {
        let allowed =
            String(repeating: "<a>", count: XMLDocumentParser.maxDepth)
            + String(repeating: "</a>", count: XMLDocumentParser.maxDepth)
        #expect(try XMLDocumentParser.parse(allowed).name == "a")
        let levels = 1_000_000
        let deep = String(repeating: "<a>", count: levels) + String(repeating: "</a>", count: levels)
        #expect(throws: XMLDocumentParser.ParseError.self) { try XMLDocumentParser.parse(deep) }
    }

    @Test func headerDatesWithFieldsOutOfRangeAreNotTimestamps() {
        #expect(Timestamp.parse("Fri, 24 May 99999999999999999 00:00:00 GMT") == nil)
        #expect(Timestamp.parse("Fri, 24 May 2013 99999999999999999:00:00 GMT") == nil)
        #expect(Timestamp.parse("Fri, 32 May 2013 00:00:00 GMT") == nil)
        #expect(Timestamp.parse("Fri, 24 May 2013 23:59:60 GMT") == 1_369_440_000)
    }

    /// The files of `Fuzz/Regressions/TARGET/`, but for hidden ones such as `.gitkeep`. The folder
    /// must exist, so a renamed target cannot leave this test with nothing to read.
    static func keptInputs(of target: String) throws -> [[UInt8]] {
        let directory = TestEnvironment.packageRoot + "/Fuzz/Regressions/" + target
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }
        return try names.sorted().map { name in
            try Array(Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
        }
    }
}
