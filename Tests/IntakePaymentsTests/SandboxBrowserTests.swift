import Foundation
import HummingbirdTesting
import IntakeCore
import IntakeTestSupport
import Testing

/// End to end in a real browser: the sandbox payer page, loaded and submitted by headless
/// Chromium against the running service, moves the intent through the webhook path.
@Suite struct SandboxBrowserTests {
    @Test(.timeLimit(.minutes(2))) func aPayerPaysOnTheSandboxPageInChromium() async throws {
        try await withPaymentsApp(.live) { client, _, database in
            let port = try #require(client.port)
            let (key, _) = try await apiKey(database, role: .client)
            let (status, intent) = try await call(client, .post, "/v1/payment-intents", idempotent(key), body: intentBody(amount: "123456"))
            try #require(status == .created)
            let id = try #require(intent["id"] as? String)
            let path = try #require((intent["next_url"] as? String).flatMap { URL(string: $0)?.path })

            let browser = try await Chromium.launch("http://127.0.0.1:\(port)\(path)")
            let values: [String]
            do {
                values = try await browser.evaluate([
                    // Wait for the page, then read what the payer sees.
                    """
                    new Promise((resolve, reject) => {
                      const started = Date.now();
                      const check = () => {
                        const amount = document.querySelector('#amount');
                        if (document.readyState === 'complete' && amount) resolve(amount.textContent + '|' + document.querySelector('#reference').textContent);
                        else if (Date.now() - started > 20000) reject(new Error('page did not load: ' + document.body.innerText));
                        else setTimeout(check, 50);
                      };
                      check();
                    })
                    """,
                    "document.querySelector('#pay').click(); 'clicked'",
                ])
            } catch {
                await browser.close()
                throw error
            }
            #expect(values.first == "£1,234.56|41234561")
            #expect(values.last == "clicked")

            // The browser's form POST went through the webhook path: paid and handed off.
            let deadline = ContinuousClock.now + .seconds(20)
            var state: String?
            while ContinuousClock.now < deadline {
                state = try await call(client, .get, "/v1/payment-intents/\(id)", key).1["state"] as? String
                if state == "posting_queued" { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            await browser.close()
            #expect(state == "posting_queued")
            #expect(try await count(database, "SELECT count(*)::int FROM dispatch_jobs WHERE payment_intent_id = '\(id)'") == 1)
        }
    }
}
