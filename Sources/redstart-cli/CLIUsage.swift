// The texts redstart-cli prints about itself: --version, --help, and `help` given as
// the command. The version line is "redstart-cli <Redstart version> (redis-cli 7.0.15
// compatible)"; the help texts are Redstart's own wording, listing what this tool has.

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
                             also between --scan cycles.
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
          --show-pushes <yn> Print RESP3 pushes (default: when standard output is a terminal).
          --pipe             Send the Redis protocol read from standard input to the server.
          --pipe-timeout <n> In --pipe mode, give up when no reply arrives for <n> seconds
                             once all input is sent (default: 30; 0 waits forever).
          --scan             List the keys with SCAN.
          --pattern <pat>    Key pattern for --scan (default: *).
          --quoted-pattern <pat> The same, as a quoted string (for binary patterns).
          --count <n>        COUNT for each SCAN of --scan.
          --eval <file>      Run the Lua script in <file> with EVAL: keys, then ',' and arguments.
          --no-auth-warning  No warning when a password is given on the command line.
          --verbose          Accepted for compatibility.
          --help             This help.
          -v, --version      The version.

        Examples:
          cat /etc/passwd | redstart-cli -x set mypasswd
          redstart-cli -r 100 lpush mylist x
          redstart-cli --quoted-input set '"null-\\x00-separated"' value
          redstart-cli --eval myscript.lua key1 key2 , arg1 arg2 arg3
          redstart-cli --scan --pattern '*:12345*'
          redstart-cli --pipe < commands.txt

        """

    /// What `redstart-cli help` prints.
    static let commandHelp = """
        redstart-cli \(version)
        Help on single commands ("help <command>", "help @<group>") is not available yet;
        see https://redis.io/commands for the commands Redstart implements.

        """
}
