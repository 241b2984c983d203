import Testing

@testable import S3Client

@Suite struct XMLDocumentParserTests {
    @Test func parsesElementsTextAndEntities() throws {
        let root = try XMLDocumentParser.parse(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment -->
            <Root xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><A>x &amp; y &lt;z&gt; &quot;q&quot; &apos;s&apos; &#65;&#x42;</A><B/><C><![CDATA[<raw>]]></C></Root>
            """)
        #expect(root.name == "Root")
        #expect(root.string("A") == "x & y <z> \"q\" 's' AB")
        #expect(root.child("B")?.text == "")
        #expect(root.string("C") == "<raw>")
    }

    @Test func rejectsMalformedDocuments() {
        #expect(throws: XMLDocumentParser.ParseError.self) { try XMLDocumentParser.parse("<A><B></A>") }
        #expect(throws: XMLDocumentParser.ParseError.self) { try XMLDocumentParser.parse("<A>") }
        #expect(throws: XMLDocumentParser.ParseError.self) { try XMLDocumentParser.parse("") }
        #expect(throws: XMLDocumentParser.ParseError.self) { try XMLDocumentParser.parse("<A>&bogus;</A>") }
    }

    @Test func listingPageDecodesURLEncodedKeys() throws {
        let root = try XMLDocumentParser.parse(
            """
            <ListBucketResult><Name>b</Name><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
            <NextContinuationToken>tok+en/=</NextContinuationToken>
            <Contents><Key>a+b%2Bc%01</Key><LastModified>2026-11-25T21:16:51.500Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>
            <CommonPrefixes><Prefix>dir%2F/</Prefix></CommonPrefixes>
            </ListBucketResult>
            """)
        let page = try ListObjectsPage.parse(root)
        #expect(page.objects.count == 1)
        #expect(page.objects[0].key == "a b+c\u{01}")
        #expect(page.objects[0].eTag == "abc")
        #expect(page.objects[0].size == 12)
        #expect(page.objects[0].lastModified == 1_795_641_411.5)
        #expect(page.commonPrefixes == ["dir//"])
        #expect(page.isTruncated)
        #expect(page.nextContinuationToken == "tok+en/=")
    }

    @Test func listingPageWithoutEncodingTypeKeepsKeysLiteral() throws {
        let root = try XMLDocumentParser.parse(
            "<ListBucketResult><Contents><Key>a+b%20</Key><Size>1</Size><ETag>\"e\"</ETag></Contents></ListBucketResult>"
        )
        #expect(try ListObjectsPage.parse(root).objects[0].key == "a+b%20")
    }

    @Test func timestampsParse() {
        #expect(Timestamp.parse("2013-05-24T00:00:00.000Z") == 1_369_353_600)
        #expect(Timestamp.parse("Fri, 24 May 2013 00:00:00 GMT") == 1_369_353_600)
        #expect(Timestamp.parse("nonsense") == nil)
    }

    @Test func writerEscapesKeys() {
        var writer = XMLWriter()
        writer.element("Key", "a<b>&\"c'")
        #expect(writer.output.hasSuffix("<Key>a&lt;b&gt;&amp;&quot;c&apos;</Key>"))
        #expect(!XMLWriter.canRepresent("a\u{01}b"))
        #expect(XMLWriter.canRepresent("tab\there"))
    }
}
