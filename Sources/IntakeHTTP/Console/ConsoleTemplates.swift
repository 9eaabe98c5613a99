import Mustache

/// The console's pages as Mustache templates, compiled into the binary (one file to deploy, no
/// templates to find at run time). GOV.UK Design System conventions: labels and hints, an error
/// summary at the top linking to its fields, tables with captions and column headers. `{{ }}`
/// escapes HTML; `{{{ }}}` is only for a page already rendered here.
enum ConsoleTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in [
            ("layout", layout), ("login", login), ("cases", cases), ("case", casePage), ("queues", queues), ("map", map), ("payments", payments),
            ("payment", payment), ("resetRequest", resetRequest), ("resetSent", resetSent), ("resetForm", resetForm),
            ("resetUnusable", resetUnusable),
        ] {
            // The templates are constants of this file: a syntax error is a programming error.
            try! library.register(text, named: name)
        }
        return library
    }()

    static func render(_ name: String, _ values: [String: Any]) -> String {
        library.render(values, withTemplate: name) ?? ""
    }

    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{#error}}Error: {{/error}}{{title}} - Civic Intake console</title>
        <style>
        body { font-family: Arial, sans-serif; margin: 0; color: #0b0c0c; line-height: 1.4; }
        header { background: #0b0c0c; color: #fff; padding: 10px 30px; display: flex; justify-content: space-between; align-items: center; }
        header a, header button { color: #fff; }
        main { padding: 20px 30px; max-width: 1100px; }
        .error-summary { border: 5px solid #d4351c; padding: 15px; margin-bottom: 20px; }
        .error-summary a { color: #d4351c; font-weight: bold; }
        .error-message { color: #d4351c; font-weight: bold; display: block; }
        label { font-weight: bold; display: block; margin-top: 15px; }
        .hint { color: #505a5f; display: block; }
        input, select { font-size: 1rem; padding: 5px; border: 2px solid #0b0c0c; }
        button { font-size: 1rem; padding: 8px 12px; margin-top: 15px; background: #00703c; color: #fff; border: 0; cursor: pointer; }
        header button { background: none; border: 1px solid #fff; margin: 0; }
        table { border-collapse: collapse; width: 100%; margin-top: 20px; }
        caption { text-align: left; font-weight: bold; font-size: 1.2rem; margin-bottom: 10px; }
        th, td { border-bottom: 1px solid #b1b4b6; padding: 8px 10px 8px 0; text-align: left; vertical-align: top; }
        .notice { border-left: 10px solid #00703c; padding: 10px 15px; margin-bottom: 20px; background: #f3f2f1; }
        .filters { display: flex; flex-wrap: wrap; gap: 0 20px; align-items: flex-end; }
        :focus { outline: 3px solid #ffdd00; }
        </style>
        </head>
        <body>
        <header>
          <span><strong>Civic Intake</strong>{{#council}} · {{council}}{{/council}}</span>
          {{#signedIn}}
          <form method="post" action="/console/logout">
            <span>{{staffName}} ({{staffRole}})</span>
            <input type="hidden" name="csrf" value="{{csrf}}">
            <button type="submit" id="sign-out">Sign out</button>
          </form>
          {{/signedIn}}
        </header>
        <main id="main-content">
        {{{content}}}
        </main>
        </body>
        </html>
        """

    static let login = """
        {{#error}}
        <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
          <h2 id="error-summary-title">There is a problem</h2>
          <ul><li><a href="#email">{{error}}</a></li></ul>
        </div>
        {{/error}}
        {{#resetDone}}
        <div class="notice" role="status" id="reset-done"><strong>Your password has been changed.</strong> Sign in with your new password.</div>
        {{/resetDone}}
        <h1>Sign in</h1>
        <form method="post" action="/console/login" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="email">Email address</label>
          {{#error}}<span class="error-message" id="email-error">{{error}}</span>{{/error}}
          <input id="email" name="email" type="email" autocomplete="username" spellcheck="false" value="{{email}}"{{#error}} aria-describedby="email-error"{{/error}}>
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password">
          <button type="submit" id="sign-in">Sign in</button>
        </form>
        <p><a href="/console/password-reset" id="forgotten">Forgotten your password?</a></p>
        """

    static let resetRequest = """
        {{#error}}
        <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
          <h2 id="error-summary-title">There is a problem</h2>
          <ul><li><a href="#email">{{error}}</a></li></ul>
        </div>
        {{/error}}
        <h1>Reset your password</h1>
        <p>We will email you a link to choose a new password, if your council sends email through GOV.UK Notify.</p>
        <form method="post" action="/console/password-reset" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="email">Email address</label>
          <span class="hint" id="email-hint">The address you sign in with</span>
          {{#error}}<span class="error-message" id="email-error">{{error}}</span>{{/error}}
          <input id="email" name="email" type="email" autocomplete="username" spellcheck="false" value="{{email}}" aria-describedby="email-hint{{#error}} email-error{{/error}}">
          <button type="submit" id="send-link">Send the link</button>
        </form>
        <p><a href="/console/login">Back to sign in</a></p>
        """

    static let resetSent = """
        <h1>Check your email</h1>
        <p id="reset-sent">If {{email}} has a console account and its council sends email through GOV.UK Notify, we have sent it a
        link to choose a new password. The link works once, for {{minutes}} minutes.</p>
        <p>Nothing after a few minutes? Check your spam folder, or ask your council's console administrator.</p>
        <p><a href="/console/login">Back to sign in</a></p>
        """

    static let resetForm = """
        {{#hasErrors}}
        <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
          <h2 id="error-summary-title">There is a problem</h2>
          <ul>{{#errors}}<li><a href="#{{field}}">{{message}}</a></li>{{/errors}}</ul>
        </div>
        {{/hasErrors}}
        <h1>Choose a new password</h1>
        <p>For {{email}}. Every session signed in with the old password ends.</p>
        <form method="post" action="/console/password-reset/{{token}}" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          <input type="hidden" name="username" autocomplete="username" value="{{email}}">
          <label for="password">New password</label>
          <span class="hint" id="password-hint">At least 12 characters. Three or more unrelated words make a strong password.</span>
          {{#errors}}{{#isPassword}}<span class="error-message" id="password-error">{{message}}</span>{{/isPassword}}{{/errors}}
          <input id="password" name="password" type="password" autocomplete="new-password" aria-describedby="password-hint{{#passwordError}} password-error{{/passwordError}}">
          <label for="confirm">Confirm the new password</label>
          {{#errors}}{{#isConfirm}}<span class="error-message" id="confirm-error">{{message}}</span>{{/isConfirm}}{{/errors}}
          <input id="confirm" name="confirm" type="password" autocomplete="new-password"{{#confirmError}} aria-describedby="confirm-error"{{/confirmError}}>
          <button type="submit" id="set-password">Set the password</button>
        </form>
        """

    static let resetUnusable = """
        <h1>This link no longer works</h1>
        <p id="reset-unusable">A password reset link works once, for {{minutes}} minutes, and only the newest one asked for.</p>
        <p><a href="/console/password-reset">Ask for a new link</a></p>
        """

    static let casePage = """
        {{#hasErrors}}
        <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
          <h2 id="error-summary-title">There is a problem</h2>
          <ul>{{#errors}}<li><a href="#{{field}}">{{message}}</a></li>{{/errors}}</ul>
        </div>
        {{/hasErrors}}
        <p><a href="/console/">Back to cases</a></p>
        <h1>{{reference}}: {{category}}</h1>
        <table id="case">
          <caption>The case</caption>
          <tbody>
            <tr><th scope="row">Status</th><td id="status-now">{{status}}</td></tr>
            <tr><th scope="row">Reported</th><td>{{reported}}</td></tr>
            <tr><th scope="row">Where</th><td>{{address}} ({{lat}}, {{lon}})</td></tr>
            <tr><th scope="row">Description</th><td>{{description}}</td></tr>
            {{#attributes}}<tr><th scope="row">{{name}}</th><td>{{value}}</td></tr>{{/attributes}}
            {{#councilReference}}<tr><th scope="row">Council reference</th><td>{{councilReference}}</td></tr>{{/councilReference}}
          </tbody>
        </table>
        {{#hasPhotos}}<h2>Photos</h2>{{/hasPhotos}}
        {{#photos}}<img src="/v1/media/{{.}}" alt="Photo sent with the report" width="240">{{/photos}}
        {{#reporter}}
        <table id="reporter">
          <caption>Reporter (managers only)</caption>
          <tbody>
            <tr><th scope="row">Name</th><td>{{name}}</td></tr>
            <tr><th scope="row">Email</th><td>{{email}}</td></tr>
            <tr><th scope="row">Phone</th><td>{{phone}}</td></tr>
          </tbody>
        </table>
        {{/reporter}}
        <table id="timeline">
          <caption>Timeline</caption>
          <thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Public note</th><th scope="col">Internal note</th></tr></thead>
          <tbody>{{#timeline}}<tr><td>{{when}}</td><td>{{what}}</td><td>{{publicNote}}</td><td>{{internalNote}}</td></tr>{{/timeline}}</tbody>
        </table>
        <h2>Change the status</h2>
        <form method="post" action="/console/cases/{{id}}/status">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="new-status">New status</label>
          <select id="new-status" name="status">
            {{#nextStatuses}}<option value="{{value}}">{{label}}</option>{{/nextStatuses}}
          </select>
          <label for="public_note">Public note</label><span class="hint">Shown on the public timeline and sent to the reporter</span>
          <textarea id="public_note" name="public_note" rows="3" cols="60"></textarea>
          <label for="internal_note">Internal note</label><span class="hint">Only your council sees this</span>
          <textarea id="internal_note" name="internal_note" rows="3" cols="60"></textarea>
          <button type="submit" id="change-status">Save</button>
        </form>
        """

    static let queues = """
        <h1>Queues</h1>
        <table id="queues">
          <caption>Where {{council}}'s cases and messages go</caption>
          <thead><tr><th scope="col">Destination</th><th scope="col">Kind</th><th scope="col">Waiting</th><th scope="col">In flight</th>
            <th scope="col">Oldest waiting</th><th scope="col">Dead</th><th scope="col">Enabled</th></tr></thead>
          <tbody>{{#queues}}<tr><td>{{name}}</td><td>{{kind}}</td><td>{{depth}}</td><td>{{inFlight}}</td><td>{{oldest}}</td><td>{{dead}}</td><td>{{enabled}}</td></tr>{{/queues}}</tbody>
        </table>
        {{#queues}}
        <h2 id="queue-{{name}}">{{name}}</h2>
        <table class="attempts">
          <caption>Latest delivery attempts to {{name}}</caption>
          <thead><tr><th scope="col">When</th><th scope="col">Message</th><th scope="col">Attempt</th><th scope="col">Outcome</th>
            <th scope="col">Status</th><th scope="col">Time</th><th scope="col">Answer or error</th></tr></thead>
          <tbody>{{#attempts}}<tr><td>{{when}}</td><td>{{type}}</td><td>{{attempt}}</td><td>{{outcome}}</td><td>{{status}}</td><td>{{ms}} ms</td><td>{{excerpt}}</td></tr>{{/attempts}}</tbody>
        </table>
        <table class="dead">
          <caption>Dead messages at {{name}}</caption>
          <thead><tr><th scope="col">Message</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">Died</th><th scope="col"><span class="hint">Action</span></th></tr></thead>
          <tbody>{{#deadMessages}}<tr><td>{{type}} {{id}}</td><td>{{attempts}}</td><td>{{error}}</td><td>{{died}}</td><td>
            <form method="post" action="/console/queues/{{queue}}/dead/{{id}}/redrive">
              <input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="redrive">Redrive</button>
            </form></td></tr>{{/deadMessages}}</tbody>
        </table>
        {{/queues}}
        """

    static let map = """
        <h1>Map of open cases</h1>
        <p>{{council}}'s boundary with its {{count}} open cases (the newest {{limit}} at most); each point links to its case.</p>
        <svg id="map" xmlns="http://www.w3.org/2000/svg" viewBox="{{viewBox}}" width="800" height="600" role="img" aria-labelledby="map-title">
          <title id="map-title">Open cases at {{council}}</title>
          <path d="{{boundary}}" fill="#f3f2f1" stroke="#0b0c0c" vector-effect="non-scaling-stroke" stroke-width="1"/>
          {{#points}}<a href="/console/cases/{{id}}"><circle cx="{{x}}" cy="{{y}}" r="{{radius}}" fill="#d4351c"><title>{{reference}}: {{category}}</title></circle></a>{{/points}}
        </svg>
        """

    static let payments = """
        {{#hasErrors}}
        <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
          <h2 id="error-summary-title">There is a problem</h2>
          <ul>{{#errors}}<li><a href="#{{field}}">{{message}}</a></li>{{/errors}}</ul>
        </div>
        {{/hasErrors}}
        <h1>Payments</h1>
        <form method="get" action="/console/payments" class="filters">
          <div><label for="reference">Account reference</label><input id="reference" name="reference" value="{{reference}}"></div>
          <div><label for="date">Day</label><span class="hint">For example, 2026-11-01 (UK time)</span>
            <input id="date" name="date" value="{{date}}"></div>
          <div><button type="submit" id="search">Search</button></div>
        </form>
        {{#date}}<p><a href="/console/payments/reconciliation.csv?date={{date}}" id="reconciliation">That day's reconciliation as CSV</a></p>{{/date}}
        <table id="payments">
          <caption>{{caption}}</caption>
          <thead><tr><th scope="col">Started</th><th scope="col">Account reference</th><th scope="col">Amount</th>
            <th scope="col">State</th><th scope="col">Provider reference</th></tr></thead>
          <tbody>{{#rows}}<tr><td><a href="/console/payments/{{id}}">{{created}}</a></td><td>{{reference}}</td><td>{{amount}}</td><td>{{state}}</td><td>{{providerReference}}</td></tr>{{/rows}}</tbody>
        </table>
        """

    static let payment = """
        <p><a href="/console/payments">Back to payments</a></p>
        <h1>Payment {{reference}}</h1>
        <table id="payment">
          <caption>The payment</caption>
          <tbody>
            <tr><th scope="row">Amount</th><td>{{amount}}</td></tr>
            <tr><th scope="row">State</th><td>{{state}}</td></tr>
            <tr><th scope="row">For</th><td>{{description}}</td></tr>
            <tr><th scope="row">Fund code</th><td>{{fundCode}}</td></tr>
            <tr><th scope="row">Payer</th><td>{{payer}}</td></tr>
            <tr><th scope="row">Provider</th><td>{{provider}} {{providerReference}}</td></tr>
          </tbody>
        </table>
        <table id="history">
          <caption>History</caption>
          <thead><tr><th scope="col">When</th><th scope="col">From</th><th scope="col">To</th><th scope="col">By</th><th scope="col">Why</th></tr></thead>
          <tbody>{{#events}}<tr><td>{{at}}</td><td>{{from}}</td><td>{{to}}</td><td>{{actor}}</td><td>{{reason}}</td></tr>{{/events}}</tbody>
        </table>
        """

    static let cases = """
        {{#hasErrors}}
        <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
          <h2 id="error-summary-title">There is a problem</h2>
          <ul>{{#errors}}<li><a href="#{{field}}">{{message}}</a></li>{{/errors}}</ul>
        </div>
        {{/hasErrors}}
        <h1>Cases</h1>
        <p><a href="/console/map">Map of open cases</a> · <a href="/console/queues">Queues</a>{{#manager}} · <a href="/console/payments">Payments</a>{{/manager}}</p>
        <form method="get" action="/console/" class="filters">
          <div><label for="status">Status</label>
            <select id="status" name="status">
              {{#statusOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statusOptions}}
            </select></div>
          <div><label for="category">Category</label><span class="hint">A code, such as fly_tipping</span>
            <input id="category" name="category" value="{{filters.category}}"></div>
          <div><label for="from">From</label><span class="hint">For example, 2026-11-01</span>
            <input id="from" name="from" value="{{filters.from}}"></div>
          <div><label for="to">To</label><span class="hint">Including this day</span>
            <input id="to" name="to" value="{{filters.to}}"></div>
          <div><label for="q">Text</label><span class="hint">In the description or reference</span>
            <input id="q" name="q" value="{{filters.q}}"></div>
          <div><button type="submit" id="filter">Filter</button></div>
        </form>
        <table id="counts">
          <caption>Cases by status (these filters)</caption>
          <thead><tr><th scope="col">Status</th><th scope="col">Cases</th></tr></thead>
          <tbody>{{#counts}}<tr><td>{{label}}</td><td>{{count}}</td></tr>{{/counts}}</tbody>
        </table>
        <table id="cases">
          <caption>{{caption}}</caption>
          <thead><tr><th scope="col">Reference</th><th scope="col">Category</th><th scope="col">Status</th>
            <th scope="col">Reported</th><th scope="col">Where</th><th scope="col">Description</th></tr></thead>
          <tbody>
          {{#rows}}<tr><td><a href="/console/cases/{{id}}">{{reference}}</a></td><td>{{category}}</td><td>{{status}}</td><td>{{reported}}</td><td>{{address}}</td><td>{{description}}</td></tr>{{/rows}}
          </tbody>
        </table>
        {{^rows}}<p id="no-cases">No cases match these filters.</p>{{/rows}}
        <p>{{#next}}<a href="{{next}}" id="next-page">Next page</a> · {{/next}}<a href="{{csv}}" id="csv">Download these cases as CSV</a></p>
        """
}
