// `--eval file key1 key2 , arg1 arg2`: EVAL with the file's text; the words before the
// first lone "," are keys (their count is numkeys), the rest are arguments. As in
// redis-cli, the file is read after connecting, and the command then runs like a
// one-shot command (-r, -e and the output formats apply).
import Glibc

enum EvalMode {
    /// Runs the script; returns the exit code.
    static func run(file: String, arguments: [[UInt8]], oneShot: inout OneShot) -> Int32 {
        guard let handle = fopen(file, "r") else {
            CLIOutput.error("Can't open file '\(file)': \(String(cString: strerror(errno)))\n")
            CLIOutput.exit(1)
        }
        var script: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, handle) }
            if count == 0 { break }
            script.append(contentsOf: chunk[0..<count])
        }
        fclose(handle)

        var keys: [[UInt8]] = []
        var rest: [[UInt8]] = []
        var sawComma = false
        for argument in arguments {
            if !sawComma && argument == [UInt8(ascii: ",")] {
                sawComma = true
                continue
            }
            if sawComma { rest.append(argument) } else { keys.append(argument) }
        }
        let words = [Array("EVAL".utf8), script, Array(String(keys.count).utf8)] + keys + rest
        return oneShot.issue(words, repeatCount: oneShot.options.repeatCount) ? 0 : 1
    }
}
