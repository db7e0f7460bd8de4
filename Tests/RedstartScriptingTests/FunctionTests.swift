// FUNCTION and FCALL in-process: loading, the loading sandbox, listing, deleting,
// DUMP/RESTORE with each policy, STATS, and the errors Redis gives for each.
import NIOCore
import RedstartEngine
import RedstartRESP
import Testing

private func library(_ name: String, _ function: String, _ body: String) -> String {
    "#!lua name=\(name)\nredis.register_function('\(function)', function(KEYS, ARGV)\n \(body) \nend)"
}

@Suite struct FunctionTests {
    let h = ScriptingHarness()

    @Test func loadCallAndReplace() {
        let s = h.connect()
        #expect(h.raw(s, "FUNCTION", "LOAD", library("test", "test", "return 'hello'")) == "$4\r\ntest\r\n")
        #expect(h.raw(s, "FCALL", "test", "0") == "$5\r\nhello\r\n")
        #expect(h.raw(s, "FCALL", "TEST", "0") == "$5\r\nhello\r\n")
        #expect(h.raw(s, "FUNCTION", "LOAD", library("test", "test", "return 'x'")) == "-ERR Library 'test' already exists\r\n")
        #expect(h.raw(s, "FUNCTION", "LOAD", "foo", "bar", library("test", "test", "return 'x'")) == "-ERR Unknown option given: foo\r\n")
        // A failed replacement keeps the old library.
        #expect(h.raw(s, "FUNCTION", "LOAD", "REPLACE", library("test", "test", "bad script")).hasPrefix("-ERR Error compiling function:"))
        #expect(h.raw(s, "FCALL", "test", "0") == "$5\r\nhello\r\n")
        #expect(h.raw(s, "FUNCTION", "LOAD", "REPLACE", library("test", "test", "return redis.call('set', KEYS[1], ARGV[1])")) == "$4\r\ntest\r\n")
        #expect(h.raw(s, "FCALL", "test", "1", "x", "foo") == "+OK\r\n")
        #expect(h.raw(s, "GET", "x") == "$3\r\nfoo\r\n")
        #expect(h.raw(s, "FCALL", "test", "bad") == "-ERR Bad number of keys provided\r\n")
        #expect(h.raw(s, "FCALL", "test", "10", "k") == "-ERR Number of keys can't be greater than number of args\r\n")
        #expect(h.raw(s, "FCALL", "nope", "0") == "-ERR Function not found\r\n")
        #expect(h.raw(s, "COMMAND", "GETKEYS", "FCALL", "test", "1", "x", "foo") == "*1\r\n$1\r\nx\r\n")
    }

    @Test func metadataAndRegistrationErrors() {
        let s = h.connect()
        let cases: [(String, String)] = [
            ("return 1", "-ERR Missing library metadata\r\n"),
            ("#!lua name=a b=c\nx", "-ERR Invalid metadata value given: b=c\r\n"),
            ("#!lua\nx", "-ERR Library name was not given\r\n"),
            ("#!lua name=a name=b\nx", "-ERR Invalid metadata value, name argument was given multiple times\r\n"),
            ("#! name=test\nx", "-ERR Engine '' not found\r\n"),
            ("#!lua name=bad-name\nx", "-ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long\r\n"),
            ("#!lua name=lib\nreturn 1", "-ERR No functions registered\r\n"),
            ("#!lua name=lib\nredis.register_function()", "-ERR Error registering functions: ERR wrong number of arguments to redis.register_function\r\n"),
            ("#!lua name=lib\nredis.register_function('f1')", "-ERR Error registering functions: ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).\r\n"),
            ("#!lua name=lib\nredis.register_function{function_name='f1', callback=function() return 1 end, flags={'unknown'}}", "-ERR Error registering functions: ERR unknown flag given\r\n"),
            ("#!lua name=lib\nreturn math.random()", "-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'math'\r\n"),
            ("#!lua name=lib\nreturn redis.call('ping')", "-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'\r\n"),
            ("#!lua name=lib\na = 1", "-ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table\r\n"),
        ]
        for (code, reply) in cases {
            #expect(h.raw(s, "FUNCTION", "LOAD", code) == reply, "\(code)")
        }
        #expect(h.raw(s, "FUNCTION", "LOAD", "#!lua name=lib\nlocal a = 1 while 1 do a = a + 1 end")
            == "-ERR Error registering functions: ERR FUNCTION LOAD timeout\r\n")
        #expect(h.raw(s, "FUNCTION", "LIST") == "*0\r\n")
    }

    @Test func listDeleteFlushAndStats() {
        let s = h.connect()
        h.raw(s, "FUNCTION", "LOAD", "#!lua name=lib1\nredis.register_function{function_name='f1', callback=function() return 1 end, description='d', flags={'no-writes', 'allow-stale'}}\nredis.register_function('f2', function() return 2 end)")
        h.raw(s, "FUNCTION", "LOAD", library("lib2", "f3", "return 3"))
        #expect(h.raw(s, "FUNCTION", "LIST", "LIBRARYNAME", "lib1")
            == "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$4\r\nlib1\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*2\r\n"
            + "*6\r\n$4\r\nname\r\n$2\r\nf1\r\n$11\r\ndescription\r\n$1\r\nd\r\n$5\r\nflags\r\n*2\r\n+no-writes\r\n+allow-stale\r\n"
            + "*6\r\n$4\r\nname\r\n$2\r\nf2\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*0\r\n")
        #expect(h.raw(s, "FUNCTION", "LIST", "bad") == "-ERR Unknown argument bad\r\n")
        #expect(h.raw(s, "FUNCTION", "LIST", "LIBRARYNAME") == "-ERR library name argument was not given\r\n")
        #expect(h.raw(s, "FUNCTION", "STATS")
            == "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n$15\r\nlibraries_count\r\n:2\r\n$15\r\nfunctions_count\r\n:3\r\n")
        #expect(h.raw(s, "FCALL_RO", "f2", "0") == "-ERR Can not execute a script with write flag using *_ro command.\r\n")
        #expect(h.raw(s, "FCALL_RO", "f1", "0") == ":1\r\n")
        #expect(h.raw(s, "FUNCTION", "DELETE", "lib1") == "+OK\r\n")
        #expect(h.raw(s, "FUNCTION", "DELETE", "lib1") == "-ERR Library not found\r\n")
        #expect(h.raw(s, "FCALL", "f1", "0") == "-ERR Function not found\r\n")
        #expect(h.raw(s, "INFO", "memory").contains("number_of_functions:1\r\nnumber_of_libraries:1\r\n"))
        #expect(h.raw(s, "FLUSHALL") == "+OK\r\n")
        #expect(h.raw(s, "FCALL", "f3", "0") == ":3\r\n")
        #expect(h.raw(s, "FUNCTION", "FLUSH", "bad") == "-ERR FUNCTION FLUSH only supports SYNC|ASYNC option\r\n")
        #expect(h.raw(s, "FUNCTION", "FLUSH", "sync", "extra")
            == "-ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.\r\n")
        #expect(h.raw(s, "FUNCTION", "FLUSH") == "+OK\r\n")
        #expect(h.raw(s, "FUNCTION", "LIST") == "*0\r\n")
    }

    @Test func dumpAndRestoreWithEachPolicy() {
        let s = h.connect()
        h.raw(s, "FUNCTION", "LOAD", library("test", "test", "return 'hello'"))
        _ = h.start(s, "FUNCTION", "DUMP")
        let payload = bulkBytes(s.takeReplies())
        #expect(h.rawBytes(s, ["FUNCTION", "RESTORE"], payload) == "-ERR Library test already exists\r\n")
        #expect(h.rawBytes(s, ["FUNCTION", "RESTORE"], payload, ["REPLACE"]) == "+OK\r\n")
        h.raw(s, "FUNCTION", "FLUSH")
        h.raw(s, "FUNCTION", "LOAD", library("other", "test", "return 'x'"))
        #expect(h.rawBytes(s, ["FUNCTION", "RESTORE"], payload, ["REPLACE"]) == "-ERR Function test already exists\r\n")
        #expect(h.rawBytes(s, ["FUNCTION", "RESTORE"], payload, ["FLUSH"]) == "+OK\r\n")
        #expect(h.raw(s, "FCALL", "test", "0") == "$5\r\nhello\r\n")
        #expect(h.raw(s, "FUNCTION", "RESTORE", "bad_payload") == "-ERR DUMP payload version or checksum are wrong\r\n")
        #expect(h.rawBytes(s, ["FUNCTION", "RESTORE"], payload, ["BAD"])
            == "-ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.\r\n")
        #expect(h.raw(s, "FUNCTION", "RESTORE", "a", "b", "c")
            == "-ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP.\r\n")
    }

    @Test func theLibraryAPIIsGoneOnceLoaded() {
        let s = h.connect()
        h.raw(s, "FUNCTION", "LOAD", "#!lua name=lib1\nlocal lib = redis\nlib.register_function('f1', function() lib.redis = redis return 1 end)\nlib.register_function('f2', function() lib.register_function('f3', function() end) end)")
        #expect(h.raw(s, "FCALL", "f1", "0").contains("Attempt to modify a readonly table"))
        #expect(h.raw(s, "FCALL", "f2", "0").contains("can only be called on FUNCTION LOAD command"))
    }
}

/// The bytes of a bulk-string reply.
private func bulkBytes(_ buffer: ByteBuffer) -> [UInt8] {
    var buffer = buffer
    let line = buffer.readString(length: buffer.readableBytesView.firstIndex(of: 13)! - buffer.readerIndex)!
    buffer.moveReaderIndex(forwardBy: 2)
    return buffer.readBytes(length: Int(line.dropFirst())!)!
}

extension ScriptingHarness {
    /// Runs a command whose argument after `head` is binary, followed by `tail`.
    func rawBytes(_ session: Session, _ head: [String], _ bytes: [UInt8], _ tail: [String] = []) -> String {
        let args = CommandArguments(head.map { Array($0.utf8) } + [bytes] + tail.map { Array($0.utf8) })
        _ = engine.execute(args, for: session)
        return String(buffer: session.takeReplies())
    }
}
