/// libFuzzer's entry point. A listing page, whatever a server puts in it, must decode or throw: its
/// XML, its URL-encoded keys (`encoding-type=url`), sizes and timestamps. And any key, encoded the way
/// requests encode it, must decode back byte for byte.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzListObjectsPage(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: count)
    if let root = try? XMLDocumentParser.parse(bytes), let page = try? ListObjectsPage.parse(root) {
        _ = page.objects.first?.key
    }

    let text = String(decoding: bytes, as: UTF8.self)
    _ = S3PercentEncoding.decode(text, plusAsSpace: true)
    _ = S3PercentEncoding.decode(text, plusAsSpace: false)
    guard
        S3PercentEncoding.decode(S3PercentEncoding.encodePath(text), plusAsSpace: false)?.utf8.elementsEqual(
            text.utf8) == true,
        S3PercentEncoding.decode(S3PercentEncoding.encodeQueryComponent(text), plusAsSpace: true)?.utf8
            .elementsEqual(text.utf8) == true
    else {
        fatalError("an encoded key does not decode back: \(text.debugDescription)")
    }
    return 0
}
