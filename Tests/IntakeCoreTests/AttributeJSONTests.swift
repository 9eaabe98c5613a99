import Foundation
import IntakeCore
import Testing

/// The hand-written attribute JSON must agree with Foundation's coders on every answer it meets.
@Suite struct AttributeJSONTests {
    static let texts = [
        "", "household", "Mattress \"and\" six bags", "back\\slash", "line\nbreak\tand tab\r", "control \u{01}\u{1F}",
        "café – 😀 多", "a/b", "{\"not\": [\"json\"]}",
    ]

    static func randomAnswers(_ generator: inout some RandomNumberGenerator) -> [String: AttributeAnswer] {
        var answers: [String: AttributeAnswer] = [:]
        for index in 0..<Int.random(in: 0...5, using: &generator) {
            let code = "q\(index)" + (texts.randomElement(using: &generator) ?? "")
            switch Int.random(in: 0...3, using: &generator) {
            case 0: answers[code] = .text(texts.randomElement(using: &generator)!)
            case 1: answers[code] = .number(Double(Int.random(in: -1000...1000, using: &generator)))
            case 2: answers[code] = .number(Double.random(in: -1e6...1e6, using: &generator))
            default: answers[code] = .list((0..<Int.random(in: 0...3, using: &generator)).map { _ in texts.randomElement(using: &generator)! })
            }
        }
        return answers
    }

    @Test func whatItWritesFoundationReadsBackTheSame() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let answers = Self.randomAnswers(&generator)
            let written = AttributeJSON.write(answers)
            #expect(try JSONDecoder().decode([String: AttributeAnswer].self, from: Data(written.utf8)) == answers, "\(written)")
            #expect(AttributeJSON.parse(written) == answers, "\(written)")
        }
    }

    @Test func whatFoundationWritesItReadsTheSame() throws {
        var generator = SystemRandomNumberGenerator()
        let encoder = JSONEncoder()
        for _ in 0..<500 {
            let answers = Self.randomAnswers(&generator)
            let text = String(decoding: try encoder.encode(answers), as: UTF8.self)
            #expect(AttributeJSON.parse(text) == answers, "\(text)")
        }
    }

    @Test func readsPostgreSQLsJsonbTextAndEscapes() {
        #expect(
            AttributeJSON.parse(#"{"bags": 6, "size": "car_boot", "kinds": ["a", "b"]}"#) == [
                "bags": .number(6), "size": .text("car_boot"), "kinds": .list(["a", "b"]),
            ]
        )
        #expect(AttributeJSON.parse(#"{"a": "caf\u00e9 \"x\" \\ \/ \n"}"#) == ["a": .text("café \"x\" \\ / \n")])
        #expect(AttributeJSON.parse(#"{}"#) == [:])
        #expect(AttributeJSON.parse(#"{"n": -1.5e3}"#) == ["n": .number(-1500)])
    }

    @Test func anythingElseIsLeftToTheFullDecoder() {
        for text in [
            #"{"a": true}"#, #"{"a": null}"#, #"{"a": {"b": 1}}"#, #"{"a": [1]}"#, #"{"a": "x""#, #"[1]"#, #"{"a": "x"} trailing"#,
            #"{"a": "\ud83d\ude00"}"#, #"{"a": "\q"}"#, "",
        ] {
            #expect(AttributeJSON.parse(text) == nil, "\(text)")
        }
    }
}
