import Foundation
import HummingbirdTesting
import IntakeCore
import IntakeTestSupport
import Testing

/// The console in a real browser (headless Chromium against the service on loopback): an
/// officer is refused with a wrong password, signs in, filters the list, opens a case, changes
/// its status, sees the change on the public timeline, is refused a form without its CSRF token,
/// and redrives a dead letter. Screenshots of each page are saved as test artefacts
/// (`TEST_ARTEFACTS`, else `.build/test-artefacts/console-browser/`).
@Suite struct ConsoleBrowserTests {
    /// A script that waits for a page (not the one just left) with `selector`, then returns
    /// `then` evaluated with `el` bound to the element found.
    static func on(_ selector: String, _ then: String) -> Chromium.Step {
        .script(
            """
            new Promise((resolve, reject) => {
              const started = Date.now();
              const check = () => {
                const el = !window.__left && document.readyState === 'complete' ? document.querySelector(\(quoted(selector))) : null;
                if (el) { try { resolve(String((() => { \(then) })())); } catch (e) { reject(e); } }
                else if (Date.now() - started > 15000) reject(new Error('no \(selector) at ' + location.href + ': ' + document.body.innerText.slice(0, 400)));
                else setTimeout(check, 50);
              };
              check();
            })
            """
        )
    }

    /// A script that leaves the page (a click or a navigation): the next `on` waits for the new one.
    static func leave(_ action: String) -> Chromium.Step {
        .script("window.__left = true; \(action); 'left'")
    }

    static func quoted(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast().description
    }

    static func shot(_ name: String) -> Chromium.Step { .screenshot(Chromium.artefacts("console-browser/\(name).png")) }

    @Test(.timeLimit(.minutes(3))) func anOfficerWorksACaseInChromium() async throws {
        try await ConsoleTests.withConsole(live: true) { client, testDB in
            let port = try #require(client.port)
            let (worked, dead, reference): (UUID, UUID, String) = try await testDB.withDatabase(poolSize: 1) { database in
                let worked = try await DispatchFixtures.report(database, description: "Mattress on the verge")
                let dead = try await DispatchFixtures.report(database, description: "Fridge behind the library")
                _ = try await DispatchFixtures.scalar(
                    database,
                    "UPDATE dispatch_jobs SET state = 'dead', attempts = 10, finished_at = now(), last_error = 'HTTP 500 from the CRM' WHERE report_id = '\(dead)' RETURNING 1",
                    as: Int.self
                )
                let reference = try await DispatchFixtures.scalar(database, "SELECT reference FROM reports WHERE id = '\(worked)'", as: String.self)
                return (worked, dead, reference ?? "")
            }
            let id = worked.uuidString.lowercased()
            let email = "officer@barchester.example"

            let browser = try await Chromium.launch("http://127.0.0.1:\(port)/console/login")
            let values: [String]
            do {
                values = try await browser.run([
                    // 0: a wrong password is refused with the error summary at the top.
                    Self.on(
                        "#email",
                        "el.value = \(Self.quoted(email)); document.querySelector('#password').value = 'not the password at all'; return 'ready'"
                    ),
                    Self.leave("document.querySelector('#sign-in').click()"),
                    Self.on(".error-summary", "return el.innerText"),
                    Self.shot("01-sign-in-refused"),
                    // 4: signed in, the case list.
                    Self.on(
                        "#email",
                        "el.value = \(Self.quoted(email)); document.querySelector('#password').value = \(Self.quoted(ConsoleTests.password)); return 'ready'"
                    ),
                    Self.leave("document.querySelector('#sign-in').click()"),
                    Self.on("#cases", "return el.querySelector('caption').innerText + '|' + el.querySelectorAll('tbody tr').length"),
                    Self.shot("02-cases"),
                    // 8: filtered by the text of one case's reference.
                    Self.leave("document.querySelector('#q').value = \(Self.quoted(reference)); document.querySelector('#filter').click()"),
                    Self.on(
                        "#cases",
                        "return el.querySelector('caption').innerText + '|' + el.querySelectorAll('tbody tr').length + '|' + location.search"
                    ),
                    Self.shot("03-filtered"),
                    // 11: the case page.
                    Self.leave("document.querySelector('#cases tbody a').click()"),
                    Self.on("#status-now", "return el.innerText + '|' + location.pathname"),
                    Self.shot("04-case"),
                    // 14: the status changed with a public and an internal note.
                    Self.leave(
                        """
                        document.querySelector('#new-status').value = 'in_progress';
                        document.querySelector('#public_note').value = 'A crew is on the way.';
                        document.querySelector('#internal_note').value = 'Crew B, van 3';
                        document.querySelector('#change-status').click()
                        """
                    ),
                    Self.on("#status-now", "return el.innerText + '|' + document.querySelector('#timeline').innerText.includes('Crew B, van 3')"),
                    Self.shot("05-status-changed"),
                    // 17: a form without its CSRF token is refused.
                    Self.leave(
                        """
                        document.querySelector('form[action$="/status"] input[name=csrf]').remove();
                        document.querySelector('#new-status').value = 'fixed';
                        document.querySelector('#change-status').click()
                        """
                    ),
                    Self.on("h1", "return document.title + '|' + el.innerText"),
                    Self.shot("06-no-csrf-refused"),
                    // 20: the public timeline, as anyone reads it.
                    Self.leave("location.href = '/v1/reports/\(id)/timeline'"),
                    Self.on("body", "const events = JSON.parse(document.body.innerText).events; return JSON.stringify(events[events.length - 1])"),
                    Self.shot("07-public-timeline"),
                    // 23: the queues page and a dead letter redriven.
                    Self.leave("location.href = '/console/queues'"),
                    Self.on(".redrive", "return document.querySelector('table.dead').innerText.includes('HTTP 500 from the CRM')"),
                    Self.shot("08-queues"),
                    Self.leave("document.querySelector('.redrive').click()"),
                    Self.on("#queues", "return location.pathname + '|' + document.querySelectorAll('.redrive').length"),
                    Self.shot("09-redriven"),
                ])
            } catch {
                await browser.close()
                throw error
            }
            await browser.close()
            try #require(values.count == 29, "\(values)")
            #expect(values[2].contains("Enter the email address and password of your staff account"))
            #expect(values[6] == "2 cases at Barchester City Council|2")
            #expect(values[9].hasPrefix("1 case at Barchester City Council|1|"))
            #expect(values[9].contains("q=\(reference)"))
            #expect(values[12] == "open|/console/cases/\(id)")
            #expect(values[15] == "in progress|true")
            #expect(values[18].hasPrefix("Error: Form expired") && values[18].contains("This form has expired"))
            // The public timeline has the change and its public note, never the internal note.
            let last = try #require(try JSONSerialization.jsonObject(with: Data(values[21].utf8)) as? [String: Any])
            #expect(last["status"] as? String == "in_progress")
            #expect(last["public_note"] as? String == "A crew is on the way.")
            #expect(!values[21].contains("Crew B"))
            #expect(values[24] == "true")
            #expect(values[27] == "/console/queues|0")
            // The refused form changed nothing; the redriven letter waits to be delivered again.
            let (status, jobState) = try await testDB.withDatabase(poolSize: 1) { database in
                (
                    try await DispatchFixtures.scalar(database, "SELECT status FROM reports WHERE id = '\(worked)'", as: String.self),
                    try await DispatchFixtures.scalar(database, "SELECT state FROM dispatch_jobs WHERE report_id = '\(dead)'", as: String.self)
                )
            }
            #expect(status == "in_progress")
            #expect(jobState == "pending")
            // Every screenshot is a PNG on disk.
            for index in [3, 7, 10, 13, 16, 19, 22, 25, 28] {
                let data = try Data(contentsOf: URL(fileURLWithPath: values[index]))
                #expect(data.count > 1000 && data.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]), "\(values[index])")
            }
        }
    }
}
