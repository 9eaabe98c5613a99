import Testing

@testable import IntakeCore

/// The payment rules that need no database: the state machine and account references.
@Suite struct PaymentRuleTests {
    /// Every pair of states, against the list the issue gives.
    @Test(arguments: PaymentState.allCases)
    func transitionsFrom(state: PaymentState) {
        let allowed: [PaymentState: Set<PaymentState>] = [
            .created: [.pending, .failed, .cancelled, .expired],
            .pending: [.succeeded, .failed, .cancelled, .expired],
            .succeeded: [.postingQueued],
            .postingQueued: [.posted, .postingFailed],
            .postingFailed: [.postingQueued],
        ]
        for next in PaymentState.allCases {
            #expect(state.canMove(to: next) == (allowed[state]?.contains(next) ?? false), "\(state) → \(next)")
        }
    }

    @Test func aFinishedIntentNeverGoesBackToWaitingForThePayer() {
        for state in PaymentState.allCases where state.isSettled {
            #expect(!state.canMove(to: .created) && !state.canMove(to: .pending), "\(state)")
        }
        #expect(PaymentState.allCases.filter(\.isTerminal) == [.failed, .cancelled, .expired, .posted])
        #expect(PaymentState.allCases.filter(\.isPaid) == [.succeeded, .postingQueued, .posted, .postingFailed])
    }

    /// ISBN-10 uses the same modulus-11 scheme with X for 10: published ISBNs are known-good
    /// vectors.
    @Test(arguments: [("0306406152", true), ("080442957X", true), ("0306406153", false), ("080442957x", true), ("0-306-40615-2", true)])
    func modulus11CheckCharacters(reference: String, valid: Bool) {
        let rule = AccountReferenceRule(pattern: "[0-9]{9}[0-9X]", checkScheme: .modulus11, description: "10 characters", example: "0306406152")
        let accepted = (try? rule.check(reference).get()) != nil
        #expect(accepted == valid)
    }

    @Test func referencesAreCheckedAgainstTheCouncilsPattern() {
        // South Oxfordshire-style: 8 digits starting with 4, or 7 digits and an X.
        let rule = AccountReferenceRule(
            pattern: "4[0-9]{7}|4[0-9]{6}X",
            description: "8 characters starting with 4; the last may be X",
            example: "41234567"
        )
        #expect(rule.check(" 4123 4567 ") == .success("41234567"))
        #expect(rule.check("4123456x") == .success("4123456X"))
        #expect(rule.check("51234567") == .failure(.pattern))
        #expect(rule.check("412345678") == .failure(.pattern))
        #expect(rule.problems().isEmpty)
        #expect(AccountReferenceRule(pattern: "(", description: "x", example: "1").problems().map(\.pointer) == ["/pattern"])
        #expect(AccountReferenceRule(pattern: "4[0-9]{7}", description: "x", example: "5").problems().map(\.pointer) == ["/example"])
    }

    /// Email addresses are read in code points, as the contract's patterns read them: an emoji
    /// modifier or a combining mark right after "@" or "." joins it into one character, which a
    /// check by characters would not find (schemathesis found such a payer_email refused).
    @Test(arguments: ["a@\u{1F3FB}b.example", "a@b.\u{301}example", "\u{10D}@\u{1F3FB}x.y.\u{FB}"])
    func addressesWithMarksAfterTheAtOrADotAreStillAddresses(_ email: String) {
        #expect(PaymentRules.isEmail(email))
        #expect(TextRules.looksLikeEmail(email))
    }

    @Test(arguments: ["a@b", "a@@b.example", "@b.example", "a@b..example", "a@-b.example", "a @b.example", "a@b.example\u{1}"])
    func notAddresses(_ email: String) {
        #expect(!PaymentRules.isEmail(email))
    }
}
