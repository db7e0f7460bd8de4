// LATENCY HISTOGRAM (the per-command latency distributions, cumulative, at
// Redis's power-of-two points), GRAPH (an event's spikes as an ASCII sparkline)
// and DOCTOR (Redis's report on the recorded events, with its advice).
import RedstartRESP

extension IntrospectionFamily {
    // MARK: HISTOGRAM

    /// LATENCY HISTOGRAM [command ...] → map of command → {calls, histogram_usec}: every
    /// command (and subcommand) with recorded calls, or the named ones (a container
    /// stands for its subcommands; unknown names are skipped).
    static func latencyHistogram(_ cmd: CommandContext) throws(ReplyError) {
        var specs: [CommandSpec] = []
        if cmd.args.count == 2 {
            specs = cmd.engine.table.allSpecs.filter { $0.latency.total > 0 }
        } else {
            for index in 2..<cmd.args.count {
                guard let spec = cmd.engine.table.command(named: cmd.args.string(at: index)) else { continue }
                if spec.latency.total > 0 { specs.append(spec) }
                for sub in spec.subcommands where sub.latency.total > 0 { specs.append(sub) }
            }
        }
        cmd.reply.mapHeader(specs.count)
        for spec in specs {
            cmd.reply.bulk(spec.fullName)
            cmd.reply.mapHeader(2)
            cmd.reply.bulk("calls")
            cmd.reply.integer(Int64(spec.latency.total))
            cmd.reply.bulk("histogram_usec")
            let points = spec.latency.cumulativeCountsAtPowersOfTwo()
            cmd.reply.mapHeader(points.count)
            for (microseconds, count) in points {
                cmd.reply.integer(microseconds)
                cmd.reply.integer(Int64(count))
            }
        }
    }

    // MARK: GRAPH

    /// LATENCY GRAPH event → verbatim text: the event's samples as a sparkline of four rows
    /// (80 columns per band), labelled with how long ago each happened.
    static func latencyGraph(_ cmd: CommandContext) throws(ReplyError) {
        let event = cmd.args.string(at: 2)
        guard let history = cmd.engine.latency.events[event] else {
            throw ReplyError("No samples available for event '\(event)'")
        }
        let now = cmd.engine.clock.wallMilliseconds / 1000
        var samples: [(value: Double, label: String)] = []
        for sample in history.samples {
            let elapsed = now - sample.time
            let label: String
            if elapsed < 60 {
                label = "\(elapsed)s"
            } else if elapsed < 3600 {
                label = "\(elapsed / 60)m"
            } else if elapsed < 3600 * 24 {
                label = "\(elapsed / 3600)h"
            } else {
                label = "\(elapsed / (3600 * 24))d"
            }
            samples.append((Double(sample.latency), label))
        }
        let latencies = history.samples.map(\.latency)
        var graph = "\(event) - high \(latencies.max() ?? 0) ms, low \(latencies.min() ?? 0) ms (all time high \(history.maxLatency) ms)\n"
        graph += String(repeating: "-", count: 80) + "\n"
        graph += Sparkline.render(samples, columns: 80, rows: 4)
        cmd.reply.verbatim(graph)
    }

    // MARK: DOCTOR

    /// LATENCY DOCTOR → verbatim text: Redis's analysis of the recorded events and advice.
    static func latencyDoctor(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.verbatim(LatencyDoctor.report(cmd.engine))
    }
}

/// Redis's text sparklines: `_`, `o` and `#` per row for each of a sample's height steps,
/// `|` below the top, labels written downwards under the columns.
enum Sparkline {
    static func render(_ samples: [(value: Double, label: String)], columns: Int, rows: Int) -> String {
        guard let first = samples.first else { return "" }
        var low = first.value
        var high = first.value
        for sample in samples.dropFirst() {
            if sample.value < low { low = sample.value } else if sample.value > high { high = sample.value }
        }
        var output = ""
        var start = 0
        while start < samples.count {
            if start != 0 { output += "\n" }
            let band = Array(samples[start..<min(start + columns, samples.count)])
            output += renderBand(band, low: low, high: high, rows: rows)
            start += columns
        }
        return output
    }

    private static func renderBand(_ samples: [(value: Double, label: String)], low: Double, high: Double, rows: Int) -> String {
        let fill: [Character] = ["_", "o", "#"]
        let steps = fill.count * rows
        let range = high - low == 0 ? 1 : high - low
        let hasLabels = samples.contains { !$0.label.isEmpty }
        var output = ""
        var row = 0
        while true {
            var line = [Character](repeating: " ", count: samples.count)
            var more = false
            for (column, sample) in samples.enumerated() {
                // As in C: the scaled value is truncated, then divided.
                let step = min(max(0, Int(Double(Int((sample.value - low) * Double(steps))) / range)), steps - 1)
                if row < rows {
                    more = true
                    let index = step - (rows - row - 1) * fill.count
                    if index >= 0 && index < fill.count {
                        line[column] = fill[index]
                    } else if index >= fill.count {
                        line[column] = "|"
                    }
                } else {
                    // One blank line between the graph and the labels.
                    if hasLabels && row - rows < 1 {
                        more = true
                        break
                    }
                    let position = row - rows - 1
                    let label = Array(sample.label)
                    if label.count > position {
                        more = true
                        line[column] = label[position]
                    }
                }
            }
            guard more else { break }
            output += String(line) + "\n"
            row += 1
        }
        return output
    }
}
