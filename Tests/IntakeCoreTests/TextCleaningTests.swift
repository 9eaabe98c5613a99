import IntakeCore
import Testing

/// Escaping for XML and HTML, and the trimming of a reporter's contact details: both take a
/// quick way for text that needs nothing, and must give what the slow way gives.
@Suite struct TextCleaningTests {
    @Test(arguments: [
        ("plain text, nothing to do", "plain text, nothing to do"),
        ("Fish & chips <b>\"hot\"</b> 'n' ready", "Fish &amp; chips &lt;b&gt;&quot;hot&quot;&lt;/b&gt; &apos;n&apos; ready"),
        // Control characters XML cannot carry are dropped; tab, line feed and return stay.
        ("a\u{0}b\u{1B}c\td\ne\rf", "abc\td\ne\rf"),
        // Multi-byte characters pass untouched beside replaced ones.
        ("Café – “quoted” & 🚮", "Café – “quoted” &amp; 🚮"),
        ("", ""),
    ])
    func markupEscapes(text: String, escaped: String) {
        #expect(Markup.escape(text) == escaped)
    }

    @Test func contactDetailsAreTrimmedOfUnicodeSpaceAndEmptyOnesDropped() {
        let contact = ReporterContact(name: "\u{3000} Mary Anne\u{A0}\n", email: " m@example.org ", phone: "\u{85}\u{2029}")
        #expect(contact.name == "Mary Anne")
        #expect(contact.email == "m@example.org")
        #expect(contact.phone == nil)
        #expect(ReporterContact(name: "Zoë", email: "", phone: "01632 960000").name == "Zoë")
        #expect(ReporterContact(name: "Zoë", email: "", phone: "01632 960000").email == nil)
        #expect(ReporterContact(name: "é ", email: nil, phone: nil).name == "é")
        #expect(ReporterContact(name: "\u{200B}Ann\u{200B}", email: nil, phone: nil).name == "Ann")
    }
}
