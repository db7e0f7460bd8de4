// The terminal under the line editor: raw mode on standard input (no echo, no line
// buffering, no signals from Ctrl-C, no CR/LF translation on output), always undone
// before the process exits (an atexit hook), and the width of standard output.
// TCSADRAIN rather than linenoise's TCSAFLUSH: keys typed while a command ran are kept.
import Glibc

enum Terminal {
    nonisolated(unsafe) private static var original = termios()
    nonisolated(unsafe) private static var isRaw = false
    nonisolated(unsafe) private static var hookInstalled = false

    /// Whether standard input is a terminal.
    static var inputIsTerminal: Bool { isatty(STDIN_FILENO) != 0 }

    /// Puts standard input in raw mode; false when it is not a terminal.
    @discardableResult
    static func enableRawMode() -> Bool {
        guard !isRaw, inputIsTerminal, tcgetattr(STDIN_FILENO, &original) == 0 else { return isRaw }
        if !hookInstalled {
            atexit { Terminal.disableRawMode() }
            hookInstalled = true
        }
        var raw = original
        raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
        raw.c_oflag &= ~tcflag_t(OPOST)
        raw.c_cflag |= tcflag_t(CS8)
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
        withUnsafeMutableBytes(of: &raw.c_cc) { controls in
            controls[Int(VMIN)] = 1
            controls[Int(VTIME)] = 0
        }
        guard tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0 else { return false }
        isRaw = true
        return true
    }

    /// Restores the mode raw mode replaced.
    static func disableRawMode() {
        guard isRaw else { return }
        tcsetattr(STDIN_FILENO, TCSADRAIN, &original)
        isRaw = false
    }

    /// The columns of standard output's terminal (80 when unknown).
    static var columns: Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    /// One byte of standard input; nil at end of input or on an error.
    static func readByte() -> UInt8? {
        var byte: UInt8 = 0
        while true {
            let count = read(STDIN_FILENO, &byte, 1)
            if count == 1 { return byte }
            if count < 0 && errno == EINTR { continue }
            return nil
        }
    }

    /// Whether a byte arrives on standard input within `milliseconds`.
    static func waitForInput(milliseconds: Int32) -> Bool {
        var request = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        return poll(&request, 1, milliseconds) > 0
    }
}
