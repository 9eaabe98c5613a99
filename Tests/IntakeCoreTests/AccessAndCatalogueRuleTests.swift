import Foundation
import IntakeCore
import Testing

@Suite struct APIKeyTokenTests {
    @Test func generatedKeysRoundTripAndOnlyTheirOwnSecretMatches() {
        let token = APIKeyToken.generate()
        #expect(token.text.hasPrefix("ci_\(token.prefix)_"))
        #expect(APIKeyToken(parsing: token.text) == token)
        #expect(token.matches(storedHash: token.secretHash))
        let other = APIKeyToken.generate()
        #expect(other.prefix != token.prefix)
        #expect(!token.matches(storedHash: other.secretHash))
        #expect(!token.matches(storedHash: Array(token.secretHash.dropLast())))
        // Only the hash is kept: it is not the secret.
        #expect(token.secretHash.count == 32)
        #expect(!token.secretHash.map { String(format: "%02x", $0) }.joined().contains(token.secret))
    }

    @Test(arguments: [
        "", "ci_", "ci_abc_def", "xx_0123456789_" + String(repeating: "a", count: 64),
        "ci_0123456789_" + String(repeating: "g", count: 64), "ci_0123456789_" + String(repeating: "a", count: 63),
    ])
    func malformedKeysDoNotParse(text: String) {
        #expect(APIKeyToken(parsing: text) == nil)
    }
}

@Suite struct CouncilRuleTests {
    @Test func slugsFromNames() {
        #expect(NewCouncil.slug(fromName: "Barchester City Council") == "barchester-city-council")
        #expect(NewCouncil.slug(fromName: "  Ynys Môn / Isle of Anglesey ") == "ynys-mon-isle-of-anglesey")
        #expect(NewCouncil.slug(fromName: "St. Helens") == "st-helens")
    }

    @Test func updatesReplacePresentFieldsAndClearEmptyOnes() {
        let council = Council(
            id: UUID(),
            slug: "x",
            name: "Old",
            tier: .district,
            code: "E1",
            contact: .init(email: "a@b.example", phone: "01", website: "https://x.example"),
            geography: nil,
            createdAt: Date(),
            updatedAt: Date()
        )
        let updated = CouncilUpdate(name: "New", contact: .init(email: "", phone: "02")).applied(to: council)
        #expect(updated.name == "New")
        #expect(updated.tier == .district)
        #expect(updated.contact == .init(email: nil, phone: "02", website: "https://x.example"))
    }

    @Test func tierRankPrefersTheMostLocalCouncil() {
        func rank(_ tier: Council.Tier) -> Int {
            Council(
                id: UUID(),
                slug: "x",
                name: "X",
                tier: tier,
                code: nil,
                contact: .init(),
                geography: nil,
                createdAt: Date(),
                updatedAt: Date()
            ).tierRank
        }
        #expect(rank(.parish) < rank(.district))
        #expect(rank(.district) < rank(.county))
        #expect(rank(.unitary) == rank(.district))
    }
}

@Suite struct CategoryRuleTests {
    @Test func everyProblemIsReportedAtOnce() {
        let definition = CategoryDefinition(
            code: "_bad",
            name: "",
            attributes: [
                CategoryAttribute(code: "a", datatype: .multivaluelist),
                CategoryAttribute(code: "a", datatype: .string, required: true, variable: false),
            ]
        )
        do {
            try definition.validate()
            Issue.record("accepted")
        } catch {
            #expect(error.fieldErrors.map(\.pointer) == ["/code", "/name", "/attributes/0/values", "/attributes/1/code", "/attributes/1/required"])
        }
    }

    /// Lengths are counted as the contract's maxLength counts them, in Unicode code points:
    /// "é" written as e + a combining accent is one character on screen but two code points.
    @Test func lengthsCountCodePointsAsTheContractDoes() {
        let decomposed = String(repeating: "e\u{301}", count: 100) + "x"  // 201 code points, 101 characters
        let tooLong = CategoryDefinition(code: "ok", name: decomposed, keywords: [String(repeating: "e\u{301}", count: 26)])
        #expect(throws: ValidationFailure.self) { try tooLong.validate() }
        do {
            try tooLong.validate()
        } catch {
            #expect(error.fieldErrors.map(\.pointer) == ["/name", "/keywords/0"])
        }
        let fits = CategoryDefinition(
            code: "ok",
            name: String(repeating: "e\u{301}", count: 100),
            keywords: [String(repeating: "e\u{301}", count: 25)]
        )
        #expect(throws: Never.self) { try fits.validate() }
        let council = NewCouncil(slug: "ok-council", name: decomposed, tier: .district, contact: .init())
        #expect(throws: ValidationFailure.self) { try council.validate() }
    }

    @Test func attributesSurviveJSON() throws {
        let attribute = CategoryAttribute(
            code: "size",
            description: "How much?",
            datatype: .singlevaluelist,
            datatypeDescription: "Pick one",
            required: true,
            variable: true,
            order: 2,
            values: [.init(key: "small", name: "Small")]
        )
        let data = try JSONEncoder().encode([attribute])
        #expect(String(decoding: data, as: UTF8.self).contains("\"datatype_description\""))
        #expect(try JSONDecoder().decode([CategoryAttribute].self, from: data) == [attribute])
    }
}
