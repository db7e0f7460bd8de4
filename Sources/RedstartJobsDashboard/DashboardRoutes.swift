// The dashboard's HTTP surface. Pages: `/` (the single page; its script routes by the URL's
// fragment), `/dashboard.js`, `/dashboard.css`. JSON API:
//
//   GET  /api/overview                      queues, workers, server, slowlog, chart history
//   GET  /api/live                          the same, every interval (Server-Sent Events)
//   GET  /api/queues/:queue/jobs?state=S    up to `limit` (100) jobs of a queue in state S
//   GET  /api/jobs/:id                      a job's whole record
//   POST /api/jobs/:id/retry|cancel|delete  act on a job
//   POST /api/queues/:queue/pause|resume    stop or restart fetching from a queue
//
// Actions need the header `X-Redstart-Dashboard: 1`, which the page's script sends and a
// form on another site cannot (a browser asks first before sending a custom header to
// another origin, and nothing here answers that question): no cross-site request can act.
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RedstartJobs

struct DashboardRoutes: Sendable {
    let sampler: DashboardSampler
    /// How long one live stream lasts before the page's EventSource reconnects.
    let streamLifetime: Duration

    static let actionHeader = HTTPField.Name("X-Redstart-Dashboard")!

    var reader: DashboardReader { sampler.reader }
    var jobs: JobQueue { sampler.reader.jobs }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/") { _, _ in Self.asset(DashboardAssets.page, type: "text/html; charset=utf-8") }
        router.get("/dashboard.js") { _, _ in Self.asset(DashboardAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("/dashboard.css") { _, _ in Self.asset(DashboardAssets.style, type: "text/css; charset=utf-8") }
        router.get("/api/overview") { _, _ -> DashboardOverview in
            if let overview = sampler.overviewWithHistory() { return overview }
            try await sampler.sample()
            guard let overview = sampler.overviewWithHistory() else { throw HTTPError(.serviceUnavailable) }
            return overview
        }
        router.get("/api/live") { _, _ in live() }
        router.get("/api/queues/:queue/jobs") { request, context -> JobList in
            let queue = try context.parameters.require("queue")
            let stateName = request.uri.queryParameters["state"].map(String.init) ?? "waiting"
            guard let state = JobState(rawValue: stateName) else {
                throw HTTPError(.badRequest, message: "unknown state '\(stateName)'")
            }
            let limit = request.uri.queryParameters["limit"].flatMap { Int($0) } ?? 100
            return try await reader.jobList(queue: queue, state: state, limit: min(max(limit, 1), 1000))
        }
        router.get("/api/jobs/:id") { _, context -> JobDetail in
            let id = try context.parameters.require("id")
            guard let job = try await reader.job(id) else { throw HTTPError(.notFound, message: "no job \(id)") }
            return job
        }
        router.post("/api/jobs/:id/:action") { request, context in
            try Self.checkActionHeader(request)
            let id = try context.parameters.require("id")
            return try await act(on: id, context.parameters.require("action"))
        }
        router.post("/api/queues/:queue/:action") { request, context in
            try Self.checkActionHeader(request)
            let queue = try context.parameters.require("queue")
            let action = try context.parameters.require("action")
            switch action {
            case "pause": try await jobs.pause(queue)
            case "resume": try await jobs.resume(queue)
            default: throw HTTPError(.notFound, message: "no action '\(action)' on queues")
            }
            try? await sampler.sample(intoHistory: false)
            return ActionResult(ok: true, message: "queue \(queue) \(action)d")
        }
        return router
    }

    private func act(on id: String, _ action: String) async throws -> EditedResponse<ActionResult> {
        let result: ActionResult
        switch action {
        case "retry":
            result = try await jobs.retry(id)
                ? ActionResult(ok: true, message: "job \(id) queued again")
                : ActionResult(ok: false, message: "job \(id) is not failed or cancelled")
        case "cancel":
            switch try await jobs.cancel(id) {
            case nil: throw HTTPError(.notFound, message: "no job \(id)")
            case .active?: result = ActionResult(ok: true, message: "job \(id) asked to stop")
            case let state?:
                result = [.waiting, .delayed].contains(state)
                    ? ActionResult(ok: true, message: "job \(id) cancelled")
                    : ActionResult(ok: false, message: "job \(id) is already \(state.rawValue)")
            }
        case "delete":
            do {
                result = try await jobs.delete(id)
                    ? ActionResult(ok: true, message: "job \(id) deleted")
                    : ActionResult(ok: false, message: "no job \(id)")
            } catch JobsError.jobIsActive {
                result = ActionResult(ok: false, message: "job \(id) is running: cancel it first")
            }
        default:
            throw HTTPError(.notFound, message: "no action '\(action)' on jobs")
        }
        try? await sampler.sample(intoHistory: false)
        return EditedResponse(status: result.ok ? .ok : .conflict, response: result)
    }

    /// The live stream: each new reading as one event, for `streamLifetime`.
    private func live() -> Response {
        let sampler = sampler
        let lifetime = streamLifetime
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                let encoder = JSONEncoder()
                let end = ContinuousClock.now + lifetime
                var version = 0
                try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                while ContinuousClock.now < end, let (next, overview) = await sampler.next(after: version) {
                    version = next
                    var event = ByteBuffer(string: "data: ")
                    event.writeBytes(try encoder.encode(overview))
                    event.writeString("\n\n")
                    try await writer.write(event)
                }
                try await writer.finish(nil)
            })
    }

    private static func checkActionHeader(_ request: Request) throws {
        guard request.headers[actionHeader] == "1" else {
            throw HTTPError(.forbidden, message: "actions need the header X-Redstart-Dashboard: 1")
        }
    }

    private static func asset(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
