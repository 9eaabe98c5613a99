import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML document, for asserting on Open311 bodies by structure rather than by string.
final class XMLTree: NSObject, XMLParserDelegate, @unchecked Sendable {
    final class Element {
        let name: String
        var children: [Element] = []
        var text = ""
        init(name: String) { self.name = name }

        func child(_ name: String) -> Element? { children.first { $0.name == name } }
        func all(_ name: String) -> [Element] { children.filter { $0.name == name } }
        /// The text of a child element; nil when it is absent.
        subscript(_ name: String) -> String? { child(name)?.text }
        var childNames: [String] { children.map(\.name) }
    }

    private var stack: [Element] = []
    private(set) var root: Element?
    private(set) var declaration = ""

    static func parse(_ text: String) -> Element? {
        let tree = XMLTree()
        tree.declaration = String(text.prefix { $0 != ">" }) + ">"
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = tree
        guard parser.parse() else { return nil }
        return tree.root
    }

    func parser(
        _ parser: XMLParser,
        didStartElement elementName: String,
        namespaceURI: String?,
        qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        let element = Element(name: elementName)
        stack.last?.children.append(element)
        if stack.isEmpty { root = element }
        stack.append(element)
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { stack.last?.text += string }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        _ = stack.popLast()
    }
}
