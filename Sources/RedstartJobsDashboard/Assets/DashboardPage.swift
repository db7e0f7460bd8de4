// The dashboard's one HTML page. The script (DashboardScript.swift) fills it from the API
// and routes by the URL's fragment: `#/queue/<name>/<state>` lists jobs, `#/job/<id>`
// shows one.
enum DashboardAssets {}

extension DashboardAssets {
    static let page = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Redstart Jobs</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/dashboard.css">
        </head>
        <body>
        <header>
          <h1><a href="#/">Redstart Jobs</a></h1>
          <span class="muted">namespace <b id="namespace">…</b></span>
          <span class="muted" id="server-version"></span>
          <span id="live" class="live off">connecting…</span>
        </header>
        <main>
          <section class="panel" id="server-panel">
            <h2>Server</h2>
            <dl id="server-stats"></dl>
          </section>
          <section class="panel chart">
            <h2>Jobs per second</h2>
            <svg id="chart-throughput" role="img" aria-label="jobs per second"></svg>
            <div class="legend" id="legend-throughput"></div>
          </section>
          <section class="panel chart">
            <h2>Latency (ms)</h2>
            <svg id="chart-latency" role="img" aria-label="latency"></svg>
            <div class="legend" id="legend-latency"></div>
          </section>
          <section class="panel chart">
            <h2>Server commands per second</h2>
            <svg id="chart-server" role="img" aria-label="server commands per second"></svg>
            <div class="legend" id="legend-server"></div>
          </section>
          <section class="panel wide">
            <h2>Queues</h2>
            <table id="queues">
              <thead><tr><th>Queue</th><th>Waiting</th><th>Delayed</th><th>Active</th><th>Completed</th>
                <th>Failed</th><th>Done/s</th><th>Totals</th><th>State</th><th></th></tr></thead>
              <tbody></tbody>
            </table>
            <p class="empty" id="queues-empty" hidden>No queues yet: enqueue a job.</p>
          </section>
          <section class="panel wide" id="jobs-panel" hidden>
            <h2>Jobs of <span id="jobs-queue"></span></h2>
            <nav class="tabs" id="state-tabs"></nav>
            <table id="jobs">
              <thead><tr><th>ID</th><th>Name</th><th>State</th><th>Attempts</th><th>Enqueued</th>
                <th>Finished</th><th>Error</th></tr></thead>
              <tbody></tbody>
            </table>
            <p class="empty" id="jobs-empty" hidden>No jobs in this state.</p>
          </section>
          <section class="panel wide" id="job-panel" hidden>
            <h2>Job <code id="job-id"></code> <span id="job-state" class="state"></span></h2>
            <div class="actions" id="job-actions">
              <button data-job-action="retry">Retry</button>
              <button data-job-action="cancel">Cancel</button>
              <button data-job-action="delete" class="danger">Delete</button>
            </div>
            <dl id="job-fields"></dl>
            <h3>Payload</h3><pre id="job-payload"></pre>
            <h3>Result</h3><pre id="job-result"></pre>
            <h3>Progress</h3><pre id="job-progress"></pre>
            <h3>Failed attempts</h3>
            <table id="job-errors">
              <thead><tr><th>Attempt</th><th>At</th><th>Worker</th><th>Error</th></tr></thead>
              <tbody></tbody>
            </table>
          </section>
          <section class="panel wide">
            <h2>Workers</h2>
            <table id="workers">
              <thead><tr><th>Worker</th><th>PID</th><th>Queues</th><th>Slots</th><th>Running</th>
                <th>Last heartbeat</th></tr></thead>
              <tbody></tbody>
            </table>
            <p class="empty" id="workers-empty" hidden>No worker has sent a heartbeat recently.</p>
          </section>
          <section class="panel wide">
            <h2>Slow log</h2>
            <table id="slowlog">
              <thead><tr><th>ID</th><th>When</th><th>µs</th><th>Command</th><th>Client</th></tr></thead>
              <tbody></tbody>
            </table>
            <p class="empty" id="slowlog-empty" hidden>The slow log is empty.</p>
          </section>
        </main>
        <div id="toast" role="status" hidden></div>
        <script src="/dashboard.js"></script>
        </body>
        </html>

        """
}
