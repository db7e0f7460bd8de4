// The error a handler throws to have its stack kept with the attempt. Swift errors carry
// no stack of their own: any error is kept as its description (and its reflection when
// that says more); a JobFailure also keeps the call stack where it was made, symbolicated
// with the toolchain's Runtime module (function and file:line with debug information,
// function names without), so the dead-letter set shows where each attempt failed.
import Foundation
#if canImport(Runtime)
import Runtime
#endif

/// An error whose throw site and call stack are kept with the failed attempt.
public struct JobFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var file: String
    public var line: Int
    public var function: String
    /// The call stack where it was made, innermost first (at most `stackDepth` frames).
    public var stack: [String]

    /// How many frames a stack keeps.
    public static let stackDepth = 32

    public init(_ message: String, file: String = #fileID, line: Int = #line, function: String = #function) {
        self.message = message
        self.file = file
        self.line = line
        self.function = function
        stack = Self.callStack()
    }

    public var description: String { message }

    /// The caller's stack: this initializer's own frames dropped.
    static func callStack() -> [String] {
        #if canImport(Runtime) && os(Linux)
        guard let captured = try? Backtrace.capture(), let symbolicated = captured.symbolicated() else { return [] }
        var frames: [String] = []
        for frame in symbolicated.frames where !frame.isSwiftThunk {
            guard let symbol = frame.symbol else { continue }
            if symbol.name.contains("JobFailure") || symbol.name.hasPrefix("static JobFailure") { continue }
            let location = symbol.sourceLocation.map { " at \($0.path):\($0.line)" } ?? ""
            frames.append(symbol.name + location)
            if frames.count == stackDepth { break }
        }
        return frames
        #else
        return Array(Thread.callStackSymbols.dropFirst(2).prefix(stackDepth))
        #endif
    }
}
