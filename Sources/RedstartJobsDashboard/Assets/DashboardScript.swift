// The dashboard's script: loads /api/overview, then follows /api/live (Server-Sent
// Events) and redraws; routes by the URL's fragment; acts through the POST endpoints with
// the X-Redstart-Dashboard header. Builds every element with textContent, never HTML
// from data: a job's payload or error cannot inject markup.
extension DashboardAssets {
    static let script = #"""
        "use strict";
        const STATES = ["waiting", "delayed", "active", "completed", "failed"];
        const dashboard = { overview: null, history: [], route: null };

        function el(tag, attributes, ...children) {
          const node = document.createElement(tag);
          for (const [name, value] of Object.entries(attributes || {})) {
            if (value === undefined || value === null) continue;
            if (name === "onclick") node.addEventListener("click", value);
            else node.setAttribute(name, value);
          }
          for (const child of children) {
            if (child === null || child === undefined) continue;
            node.append(child instanceof Node ? child : document.createTextNode(String(child)));
          }
          return node;
        }
        const $ = (id) => document.getElementById(id);
        // Replaces a container's children only when they changed: rows a user points at or
        // clicks stay the same elements between identical updates.
        function fill(container, children) {
          const signature = children.map((child) => child.outerHTML).join("");
          if (container.dataset.signature === signature) return;
          container.dataset.signature = signature;
          container.replaceChildren(...children);
        }

        function bytes(n) {
          const units = ["B", "KB", "MB", "GB", "TB"];
          let i = 0;
          while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
          return (i ? n.toFixed(1) : n) + " " + units[i];
        }
        function when(ms) { return ms ? new Date(Number(ms)).toLocaleTimeString() : ""; }
        function ago(ms) {
          if (!dashboard.overview || !ms) return "";
          const s = Math.max(0, (dashboard.overview.time - ms) / 1000);
          return s < 60 ? s.toFixed(1) + " s ago" : Math.round(s / 60) + " min ago";
        }
        function rate(n) { return n >= 100 ? Math.round(n).toString() : n.toFixed(1); }
        function toast(message, ok) {
          const t = $("toast");
          t.textContent = message;
          t.className = ok ? "" : "failed";
          t.hidden = false;
          clearTimeout(toast.timer);
          toast.timer = setTimeout(() => { t.hidden = true; }, 4000);
        }

        async function getJSON(path) {
          const response = await fetch(path, { cache: "no-store" });
          if (!response.ok) throw new Error(path + ": " + response.status + " " + (await response.text()));
          return response.json();
        }
        async function act(path) {
          try {
            const response = await fetch(path, { method: "POST", headers: { "X-Redstart-Dashboard": "1" } });
            const text = await response.text();
            let result;
            try { result = JSON.parse(text); } catch (e) { result = { ok: false, message: text }; }
            toast(result.message, result.ok);
          } catch (error) {
            toast(String(error), false);
          }
          refreshRoute();
        }

        function renderServer(server, namespace) {
          $("namespace").textContent = namespace;
          $("server-version").textContent = server.redstartVersion
            ? "Redstart " + server.redstartVersion + " (Redis " + server.version + ")"
            : "Redis " + server.version;
          const rows = [
            ["Used memory", bytes(server.usedMemory), "used-memory"],
            ["RSS", bytes(server.usedMemoryRSS), "rss"],
            ["maxmemory", server.maxmemory ? bytes(server.maxmemory) + " (" + server.maxmemoryPolicy + ")" : "none", "maxmemory"],
            ["Clients", server.connectedClients + " (" + server.blockedClients + " blocked)", "clients"],
            ["Commands/s", String(server.opsPerSecond), "ops"],
            ["Commands", String(server.totalCommands), "commands"],
            ["Keys", String(server.keys), "keys"],
            ["Uptime", Math.floor(server.uptimeSeconds / 3600) + " h " + Math.floor(server.uptimeSeconds % 3600 / 60) + " min", "uptime"],
          ];
          fill($("server-stats"), rows.flatMap(([name, value, key]) =>
            [el("dt", {}, name), el("dd", { "data-stat": key }, value)]));
        }

        function renderQueues(queues) {
          $("queues-empty").hidden = queues.length > 0;
          fill($("queues").tBodies[0], queues.map((q) => {
            const counts = STATES.map((state) => el("td", { class: "number", "data-state": state },
              el("a", { href: "#/queue/" + encodeURIComponent(q.name) + "/" + state }, q[state])));
            const totals = Object.entries(q.totals).sort().map(([k, v]) => k + " " + v).join(", ");
            const action = q.paused ? "resume" : "pause";
            return el("tr", { "data-queue": q.name },
              el("td", {}, el("a", { href: "#/queue/" + encodeURIComponent(q.name) + "/waiting" }, q.name)),
              ...counts,
              el("td", { class: "number", "data-rate": "completed" }, rate(q.completedPerSecond)),
              el("td", { class: "muted" }, totals),
              el("td", {}, el("span", { class: "state " + (q.paused ? "paused" : "running"), "data-paused": String(q.paused) },
                q.paused ? "paused" : "running")),
              el("td", {}, el("button", { "data-action": action,
                onclick: () => act("/api/queues/" + encodeURIComponent(q.name) + "/" + action) },
                q.paused ? "Resume" : "Pause")));
          }));
        }

        function renderWorkers(workers) {
          $("workers-empty").hidden = workers.length > 0;
          fill($("workers").tBodies[0], workers.map((w) => el("tr", { "data-worker": w.id },
            el("td", {}, el("code", {}, w.id)),
            el("td", { class: "number" }, w.pid),
            el("td", {}, w.queues.join(", ")),
            el("td", { class: "number" }, w.running.length + " / " + w.concurrency),
            el("td", {}, ...w.running.map((job) => el("div", { "data-running": job.id },
              el("a", { href: "#/job/" + encodeURIComponent(job.id) }, job.name + " " + job.id.slice(0, 8)),
              " on " + job.queue + (job.startedAt ? ", started " + ago(job.startedAt) : "")))),
            el("td", {}, ago(w.lastSeen)))));
        }

        function renderSlowlog(entries) {
          $("slowlog-empty").hidden = entries.length > 0;
          fill($("slowlog").tBodies[0], entries.map((e) => el("tr", {},
            el("td", { class: "number" }, e.id),
            el("td", {}, new Date(e.at * 1000).toLocaleTimeString()),
            el("td", { class: "number" }, e.microseconds),
            el("td", {}, el("code", {}, e.command.join(" ").slice(0, 200))),
            el("td", {}, e.client))));
        }

        const COLORS = ["#c2410c", "#15803d", "#b91c1c", "#1d4ed8", "#7c3aed"];
        function chart(id, series, format) {
          const svg = $("chart-" + id);
          const width = svg.clientWidth || 300, height = svg.clientHeight || 150, left = 40, bottom = 16;
          const points = dashboard.history;
          const values = series.flatMap((s) => points.map(s.value).filter((v) => v !== null && v !== undefined));
          const top = Math.max(1, ...values) * 1.1;
          const first = points.length ? points[0].time : 0, last = points.length ? points[points.length - 1].time : 1;
          const x = (t) => left + (width - left - 4) * (last > first ? (t - first) / (last - first) : 1);
          const y = (v) => (height - bottom) * (1 - v / top) + 2;
          const ns = "http://www.w3.org/2000/svg";
          const make = (tag, attributes) => {
            const node = document.createElementNS(ns, tag);
            for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
            return node;
          };
          const parts = [];
          for (const fraction of [0, 0.5, 1]) {
            const v = top / 1.1 * fraction;
            parts.push(make("line", { class: "grid", x1: left, x2: width, y1: y(v), y2: y(v) }));
            const label = make("text", { x: 2, y: y(v) + 3 });
            label.textContent = format(v);
            parts.push(label);
          }
          // A line per run of samples with a value: a gap (nothing completed) is not bridged.
          series.forEach((s, i) => {
            let run = [];
            const flush = () => {
              if (run.length === 1) {
                const [cx, cy] = run[0].split(",");
                parts.push(make("circle", { cx, cy, r: 2, fill: COLORS[i], "data-series": s.name }));
              } else if (run.length) {
                parts.push(make("polyline", { points: run.join(" "), fill: "none", stroke: COLORS[i],
                  "stroke-width": 1.5, "data-series": s.name }));
              }
              run = [];
            };
            for (const p of points) {
              const v = s.value(p);
              if (v === null || v === undefined) flush();
              else run.push(x(p.time).toFixed(1) + "," + y(v).toFixed(1));
            }
            flush();
          });
          svg.replaceChildren(...parts);
          svg.setAttribute("data-points", String(points.length));
          const newest = points[points.length - 1];
          fill($("legend-" + id), series.map((s, i) => el("span", { "data-series": s.name },
            el("i", { style: "background:" + COLORS[i] }), s.name + " " +
            (newest && s.value(newest) !== null && s.value(newest) !== undefined ? format(s.value(newest)) : "–"))));
        }

        function renderCharts() {
          chart("throughput", [
            { name: "enqueued", value: (p) => p.enqueuedPerSecond },
            { name: "completed", value: (p) => p.completedPerSecond },
            { name: "failed", value: (p) => p.failedPerSecond },
          ], rate);
          const ms = (v) => v >= 100 ? Math.round(v).toString() : v.toFixed(1);
          chart("latency", [
            { name: "wait p50", value: (p) => p.waitP50 },
            { name: "wait p99", value: (p) => p.waitP99 },
            { name: "run p50", value: (p) => p.runP50 },
            { name: "run p99", value: (p) => p.runP99 },
          ], ms);
          chart("server", [{ name: "commands", value: (p) => p.opsPerSecond }], rate);
        }

        function render() {
          const o = dashboard.overview;
          if (!o) return;
          renderServer(o.server, o.namespace);
          renderQueues(o.queues);
          renderWorkers(o.workers);
          renderSlowlog(o.slowlog);
          renderCharts();
        }

        // Routes: #/queue/<name>/<state>, #/job/<id>, anything else: the overview only.
        function parseRoute() {
          const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
          if (parts[0] === "queue" && parts[1]) return { kind: "queue", queue: parts[1], state: parts[2] || "waiting" };
          if (parts[0] === "job" && parts[1]) return { kind: "job", id: parts[1] };
          return { kind: "home" };
        }

        async function renderJobList(route) {
          $("jobs-queue").textContent = route.queue;
          fill($("state-tabs"), STATES.map((state) => el("a", {
            href: "#/queue/" + encodeURIComponent(route.queue) + "/" + state,
            class: state === route.state ? "current" : "", "data-tab": state }, state)));
          const list = await getJSON("/api/queues/" + encodeURIComponent(route.queue) + "/jobs?state=" + route.state);
          if (parseRoute().kind !== "queue") return;
          $("jobs-empty").hidden = list.jobs.length > 0;
          fill($("jobs").tBodies[0], list.jobs.map((job) => el("tr", { "data-job": job.id,
            onclick: () => { location.hash = "#/job/" + encodeURIComponent(job.id); } },
            el("td", {}, el("code", {}, job.id.slice(0, 8))),
            el("td", {}, job.name),
            el("td", {}, el("span", { class: "state " + job.state }, job.state)),
            el("td", { class: "number" }, job.attempts + " / " + job.maxAttempts),
            el("td", {}, when(job.enqueuedAt)),
            el("td", {}, when(job.finishedAt)),
            el("td", { class: "error" }, job.error || ""))));
        }

        async function renderJob(route) {
          let job;
          try {
            job = await getJSON("/api/jobs/" + encodeURIComponent(route.id));
          } catch (error) {
            $("job-id").textContent = route.id;
            $("job-state").textContent = "gone";
            $("job-state").className = "state";
            fill($("job-fields"), [el("dt", {}, "Record"), el("dd", {}, "none: deleted or forgotten")]);
            for (const id of ["job-payload", "job-result", "job-progress"]) $(id).textContent = "";
            fill($("job-errors").tBodies[0], []);
            return;
          }
          if (parseRoute().kind !== "job") return;
          $("job-id").textContent = job.id;
          $("job-state").textContent = job.state;
          $("job-state").className = "state " + job.state;
          const fields = [
            ["Name", job.name], ["Queue", job.queue], ["Attempts", job.attempts + " of " + job.maxAttempts],
            ["Enqueued", when(job.enqueuedAt)], ["Due", when(job.runAt)], ["Started", when(job.startedAt)],
            ["Finished", when(job.finishedAt)], ["Worker", job.worker || ""],
            ["Cancellation", job.cancelRequested ? "asked" : ""],
          ].filter(([, value]) => value !== "");
          fill($("job-fields"), fields.flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
          const pretty = (text) => { try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text || ""; } };
          $("job-payload").textContent = pretty(job.payload);
          $("job-result").textContent = pretty(job.result);
          $("job-progress").textContent = pretty(job.progress);
          fill($("job-errors").tBodies[0], job.errors.map((e) => el("tr", { "data-attempt": e.attempt },
            el("td", { class: "number" }, e.attempt), el("td", {}, when(e.at)), el("td", {}, el("code", {}, e.worker)),
            el("td", {}, el("div", { class: "error" }, e.error), e.detail ? el("pre", {}, e.detail) : null))));
          for (const button of document.querySelectorAll("[data-job-action]")) {
            const action = button.getAttribute("data-job-action");
            button.disabled = !(action === "retry" ? ["failed", "cancelled"].includes(job.state)
              : action === "cancel" ? ["waiting", "delayed", "active"].includes(job.state) : job.state !== "active");
          }
        }

        let routeBusy = false;
        async function refreshRoute() {
          if (routeBusy) return;
          routeBusy = true;
          try {
            const route = parseRoute();
            $("jobs-panel").hidden = route.kind !== "queue";
            $("job-panel").hidden = route.kind !== "job";
            if (route.kind === "queue") await renderJobList(route);
            if (route.kind === "job") await renderJob(route);
          } catch (error) {
            toast(String(error), false);
          } finally {
            routeBusy = false;
          }
        }

        for (const button of document.querySelectorAll("[data-job-action]")) {
          button.addEventListener("click", () => {
            const route = parseRoute();
            if (route.kind === "job") act("/api/jobs/" + encodeURIComponent(route.id) + "/" + button.getAttribute("data-job-action"));
          });
        }
        window.addEventListener("hashchange", refreshRoute);

        function accept(overview) {
          dashboard.overview = overview;
          if (overview.history) dashboard.history = overview.history;
          else if (overview.sample && !dashboard.history.some((p) => p.time === overview.sample.time)) {
            dashboard.history.push(overview.sample);
            if (dashboard.history.length > 600) dashboard.history.shift();
          }
          render();
          refreshRoute();
        }

        function follow() {
          const stream = new EventSource("/api/live");
          stream.onopen = () => { $("live").textContent = "live"; $("live").className = "live"; };
          stream.onmessage = (message) => accept(JSON.parse(message.data));
          stream.onerror = () => { $("live").textContent = "reconnecting…"; $("live").className = "live off"; };
        }

        getJSON("/api/overview").then(accept).catch((error) => toast(String(error), false)).finally(follow);
        """#
}
