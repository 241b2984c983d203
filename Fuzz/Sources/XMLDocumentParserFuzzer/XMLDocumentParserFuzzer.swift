/// libFuzzer's entry point. Any bytes a server sends must parse or throw `ParseError`: never crash,
/// hang or grow without bound. And any text `XMLWriter` escapes must read back byte for byte.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXMLDocumentParser(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: count)
    if let root = try? XMLDocumentParser.parse(bytes) {
        _ = root.string("Key")
    }

    let text = String(decoding: bytes, as: UTF8.self)
    let document = "<Key>" + XMLWriter.escape(text) + "</Key>"
    guard let parsed = try? XMLDocumentParser.parse(document), parsed.text.utf8.elementsEqual(text.utf8) else {
        fatalError("escaped text does not read back: \(document.debugDescription)")
    }
    return 0
}
