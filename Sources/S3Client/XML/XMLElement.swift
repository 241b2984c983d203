/// An element of a parsed XML document: its name, its character data and its child elements.
/// Attributes and namespaces are not kept: S3 responses carry their data in elements.
public struct XMLElement: Sendable {
    public var name: String
    public var text: String
    public var children: [XMLElement]

    public init(name: String, text: String = "", children: [XMLElement] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    /// The first child element with this name.
    public func child(_ name: String) -> XMLElement? {
        children.first { $0.name == name }
    }

    /// All child elements with this name.
    public func children(named name: String) -> [XMLElement] {
        children.filter { $0.name == name }
    }

    /// The text of the first child element with this name.
    public func string(_ name: String) -> String? {
        child(name)?.text
    }
}
