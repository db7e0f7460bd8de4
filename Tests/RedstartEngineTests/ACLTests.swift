// ACL in the engine: password digests, rules and their descriptions, the checks and
// their denials, ACL LOG grouping, and what SETUSER/DELUSER do to sessions.
import RedstartRESP
import Testing

@testable import RedstartEngine

@Suite struct ACLTests {
    @Test func sha256MatchesKnownDigests() {
        #expect(SHA256.hexDigest([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256.hexDigest(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func rulesAreStagedAndDescribedAsRedisDoes() {
        let harness = EngineHarness()
        let admin = harness.connect()
        #expect(harness.run(admin, "ACL", "SETUSER", "u", "on", ">a", "~x", "%R~y", "&ch", "+get", "(+set ~z)") == .simpleString("OK"))
        let list = harness.run(admin, "ACL", "LIST")
        #expect(list.elements?.last?.string
            == "user u on #ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb ~x %R~y resetchannels &ch -@all +get (~z resetchannels -@all +set)")
        // A refused rule changes nothing, even the rules before it.
        #expect(harness.run(admin, "ACL", "SETUSER", "u", "+@all", "+nosuch")
            == RESPValue.err("ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"))
        #expect(harness.run(admin, "ACL", "LIST").elements?.last == list.elements?.last)
        harness.run(admin, "ACL", "SETUSER", "c", "reset", "+@all", "-@slow")
        #expect(harness.run(admin, "ACL", "LIST").elements?.first?.string == "user c off sanitize-payload resetchannels +@all -@slow")
        #expect(harness.run(admin, "ACL", "SETUSER", "s", "(~a") == RESPValue.err("ERR Unmatched parenthesis in acl selector starting at '(~a'."))
        #expect(harness.run(admin, "ACL", "SETUSER", "s", "+config|get|x")
            == RESPValue.err("ERR Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported"))
    }

    @Test func checksReportTheDenialRedisPicks() {
        let harness = EngineHarness()
        let admin = harness.connect()
        harness.run(admin, "ACL", "SETUSER", "r", "on", "nopass", "+@all", "%R~read*", "%W~write*", "resetchannels", "&news")
        #expect(harness.run(admin, "ACL", "DRYRUN", "r", "COPY", "read1", "write1") == .simpleString("OK"))
        #expect(harness.run(admin, "ACL", "DRYRUN", "r", "COPY", "write1", "read1").string
            == "This user has no permissions to access the 'write1' key")
        #expect(harness.run(admin, "ACL", "DRYRUN", "r", "PUBLISH", "sport", "m").string
            == "This user has no permissions to access the 'sport' channel")
        let user = harness.connect()
        #expect(harness.run(user, "AUTH", "r", "x") == .simpleString("OK"))
        #expect(harness.run(user, "SET", "read1", "v")
            == RESPValue.err("NOPERM this user has no permissions to access one of the keys used as arguments"))
        #expect(harness.run(user, "SET", "read1", "v")
            == RESPValue.err("NOPERM this user has no permissions to access one of the keys used as arguments"))
        let log = harness.run(admin, "ACL", "LOG").elements ?? []
        #expect(log.count == 1)
        let entry = log.first?.elements ?? []
        #expect(entry.count == 14 && entry[1] == .integer(2) && entry[3].string == "key" && entry[7].string == "read1")
    }

    @Test func deletingAUserClosesItsSessions() {
        let harness = EngineHarness()
        let admin = harness.connect()
        harness.run(admin, "ACL", "SETUSER", "gone", "on", "nopass", "+@all")
        let user = harness.connect()
        harness.run(user, "AUTH", "gone", "x")
        #expect(harness.run(admin, "ACL", "DELUSER", "gone") == .integer(1))
        #expect((user.transport as? FakeTransport)?.isClosed == true)
        #expect(harness.run(admin, "ACL", "DELUSER", "default") == RESPValue.err("ERR The 'default' user cannot be removed"))
    }
}
