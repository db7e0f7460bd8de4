// The texts redstart-cli prints about itself: --version and --help (`help` at the
// prompt or as the command is CommandHelp). The version line is "redstart-cli
// <Redstart version> (redis-cli 7.0.15 compatible)"; the help text is Redstart's own
// wording, listing what this tool has.

enum CLIUsage {
    /// Redstart's version and the redis-cli it follows.
    static let version = "0.1.0 (redis-cli 7.0.15 compatible)"

    static let text = """
        redstart-cli \(version)

        Usage: redstart-cli [OPTIONS] [cmd [arg [arg ...]]]
          -h <hostname>      Server hostname (default: 127.0.0.1).
          -p <port>          Server port (default: 6379).
          -s <socket>        Server unix socket (overrides hostname and port).
          -a <password>      Password for AUTH (REDISCLI_AUTH in the environment is safer).
          --user <username>  ACL user for 'AUTH username password'; needs -a.
          --pass <password>  The same as -a.
          -u <uri>           Server URI: redis[s]://[[user:]password@]host[:port][/db].
          -r <repeat>        Run the command this many times (negative: forever).
          -i <interval>      Seconds to wait after each repetition (fractions allowed);
                             also between --scan cycles, and the interval of
                             --latency, --stat and the other sampling modes.
          -n <db>            Database number.
          -2                 Stay on RESP2.
          -3                 Switch to RESP3 (HELLO 3).
          -x                 Read the last argument from standard input.
          -X <tag>           Read the argument equal to <tag> from standard input.
          -d <delimiter>     Between the elements of a reply in raw output (default: \\n).
          -D <delimiter>     After each reply in raw output (default: \\n).
          -c                 Accepted; cluster redirections are not followed.
          -e                 Exit with code 1 when the reply is an error.
          --tls              Connect with TLS.
          --sni <host>       Server name indication for TLS.
          --cacert <file>    CA certificate file to verify the server with.
          --cacertdir <dir>  Directory of trusted CA certificates.
          --insecure         Skip the server certificate check.
          --cert <file>      Client certificate.
          --key <file>       Client private key.
          --tls-ciphers <list> Preferred ciphers (TLSv1.2 and below).
          --raw              Raw replies (the default when standard output is not a terminal).
          --no-raw           Formatted replies even when standard output is not a terminal.
          --quoted-input     Read the command's arguments as quoted strings.
          --csv              Replies as CSV.
          --json             Replies as JSON (asks for RESP3; -2 keeps RESP2).
          --quoted-json      As --json, with ASCII-safe quoted strings.
          --show-pushes <yn> Print RESP3 pushes (default: when standard output is a terminal).
          --pipe             Send the Redis protocol read from standard input to the server.
          --pipe-timeout <n> In --pipe mode, give up when no reply arrives for <n> seconds
                             once all input is sent (default: 30; 0 waits forever).
          --scan             List the keys with SCAN.
          --pattern <pat>    Key pattern for --scan, --bigkeys, --memkeys, --hotkeys.
          --quoted-pattern <pat> The same, as a quoted string (for binary patterns).
          --count <n>        COUNT for each SCAN of --scan, --bigkeys, --memkeys and --hotkeys.
          --eval <file>      Run the Lua script in <file> with EVAL: keys, then ',' and arguments.
          --latency          Sample the server's latency (PING every 10 ms) until Ctrl-C; once
                             after -i seconds (default 1) when the output is not a terminal.
          --latency-history  Like --latency, a new line every -i seconds (default 15).
          --latency-dist     Latency spectrum every -i seconds (default 1; 256 colours).
          --mono             --latency-dist in grey levels.
          --stat             A line of server statistics every -i seconds (default 1).
          --bigkeys          Find the biggest key of each type (-i: pause per 100 SCANs).
          --memkeys          Like --bigkeys, by memory used (MEMORY USAGE).
          --memkeys-samples <n> --memkeys with MEMORY USAGE ... SAMPLES <n>.
          --hotkeys          Find the most used keys (the server needs an LFU maxmemory-policy).
          --rdb <file>       Fetch a snapshot (an RDB file) with SYNC; '-' for standard output.
          --functions-rdb <file> Like --rdb, with only the functions (not the keys).
          --replica          Show the commands a master sends its replicas.
          --lru-test <keys>  Simulate a cache over <keys> keys with an 80-20 access
                             pattern, to try a maxmemory policy (a line per second).
          --intrinsic-latency <seconds> Measure this machine's own scheduling latency.
          --no-auth-warning  No warning when a password is given on the command line.
          --verbose          Accepted for compatibility.
          --help             This help.
          -v, --version      The version.

        With no command, redstart-cli is interactive: line editing, TAB completion, hints
        and help from the server's COMMAND DOCS, history in ~/.redstartcli_history (or the
        file REDISCLI_HISTFILE names; /dev/null for none), preferences (":set hints",
        ":set nohints") in ~/.redstartclirc (or REDISCLI_RCFILE). When standard input is
        not a terminal, each line is a command.

        Examples:
          cat /etc/passwd | redstart-cli -x set mypasswd
          redstart-cli -r 100 lpush mylist x
          redstart-cli --quoted-input set '"null-\\x00-separated"' value
          redstart-cli --eval myscript.lua key1 key2 , arg1 arg2 arg3
          redstart-cli --scan --pattern '*:12345*'
          redstart-cli --pipe < commands.txt
          redstart-cli --bigkeys
          redstart-cli --rdb dump.rdb

        """
}
