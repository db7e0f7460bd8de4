// The TLS context of tls-port's listeners, built from the tls-* parameters as
// Redis's tlsConfigure reads them: a certificate and key (the key may need
// tls-key-file-pass), the CA certificates clients are checked against
// (tls-auth-clients yes: a client certificate is required; optional: checked
// when given; no: not asked for), the protocol versions of tls-protocols and
// the TLS 1.2 ciphers of tls-ciphers. The handshake and the record layer are
// swift-nio-ssl's (BoringSSL); none of the cryptography is Redstart's.
import NIOSSL
import RedstartEngine

/// Why the TLS settings could not be turned into a context, in Redis's words where it has them.
struct TLSSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum TLSContextBuilder {
    /// Whether the settings ask for TLS at all (Redis configures it for tls-port,
    /// tls-replication or tls-cluster).
    static func isNeeded(_ config: ConfigStore) -> Bool {
        config.integer("tls-port") != 0 || config.bool("tls-replication") || config.bool("tls-cluster")
    }

    /// The server context for the current tls-* settings.
    static func serverContext(_ config: ConfigStore) throws(TLSSetupError) -> NIOSSLContext {
        let certificateFile = config["tls-cert-file"]
        let keyFile = config["tls-key-file"]
        guard !certificateFile.isEmpty else { throw TLSSetupError("No tls-cert-file configured!") }
        guard !keyFile.isEmpty else { throw TLSSetupError("No tls-key-file configured!") }
        let caFile = config["tls-ca-cert-file"]
        let caDirectory = config["tls-ca-cert-dir"]
        let authClients = config["tls-auth-clients"]
        if caFile.isEmpty && caDirectory.isEmpty
            && (authClients != "no" || config.bool("tls-replication") || config.bool("tls-cluster"))
        {
            throw TLSSetupError(
                "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!"
            )
        }
        let (certificates, key) = try identity(certificateFile, keyFile, passphrase: config["tls-key-file-pass"])
        var settings = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
        try checkDHParameters(config["tls-dh-params-file"])
        let (minimum, maximum) = try protocolRange(config["tls-protocols"])
        settings.minimumTLSVersion = minimum
        settings.maximumTLSVersion = maximum
        let ciphers = config["tls-ciphers"]
        if !ciphers.isEmpty { settings.cipherSuites = ciphers }
        switch authClients {
        case "no": settings.certificateVerification = .none
        case "optional": settings.certificateVerification = .optionalVerification
        default: settings.certificateVerification = .noHostnameVerification
        }
        trust(&settings, caFile: caFile, caDirectory: caDirectory)
        // Clients are told which CAs their certificate may come from, as OpenSSL servers do.
        settings.sendCANameList = authClients != "no"
        do {
            return try NIOSSLContext(configuration: settings)
        } catch {
            throw TLSSetupError("Failed to configure TLS: \(error)")
        }
    }

    /// The context of this server's own connections (a replica's link to its primary with
    /// tls-replication): tls-client-cert-file/-key-file when set, else the server's
    /// certificate; the primary's certificate checked against the CA, not its host name
    /// (as Redis).
    static func clientContext(_ config: ConfigStore) throws(TLSSetupError) -> NIOSSLContext {
        let ownCertificate = !config["tls-client-cert-file"].isEmpty
        let certificateFile = ownCertificate ? config["tls-client-cert-file"] : config["tls-cert-file"]
        let keyFile = ownCertificate ? config["tls-client-key-file"] : config["tls-key-file"]
        let passphrase = ownCertificate ? config["tls-client-key-file-pass"] : config["tls-key-file-pass"]
        var settings = TLSConfiguration.makeClientConfiguration()
        if !certificateFile.isEmpty && !keyFile.isEmpty {
            let (certificates, key) = try identity(certificateFile, keyFile, passphrase: passphrase)
            settings.certificateChain = certificates.map { .certificate($0) }
            settings.privateKey = .privateKey(key)
        }
        let (minimum, maximum) = try protocolRange(config["tls-protocols"])
        settings.minimumTLSVersion = minimum
        settings.maximumTLSVersion = maximum
        if !config["tls-ciphers"].isEmpty { settings.cipherSuites = config["tls-ciphers"] }
        settings.certificateVerification = .noHostnameVerification
        trust(&settings, caFile: config["tls-ca-cert-file"], caDirectory: config["tls-ca-cert-dir"])
        do {
            return try NIOSSLContext(configuration: settings)
        } catch {
            throw TLSSetupError("Failed to configure TLS: \(error)")
        }
    }

    /// A certificate chain and its private key from PEM files.
    private static func identity(
        _ certificateFile: String, _ keyFile: String, passphrase: String
    ) throws(TLSSetupError) -> ([NIOSSLCertificate], NIOSSLPrivateKey) {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(certificateFile)
        } catch {
            throw TLSSetupError("Failed to load certificate: \(certificateFile): \(error)")
        }
        do {
            if passphrase.isEmpty { return (certificates, try NIOSSLPrivateKey(file: keyFile, format: .pem)) }
            let key = try NIOSSLPrivateKey(file: keyFile, format: .pem) { setter in setter(Array(passphrase.utf8)) }
            return (certificates, key)
        } catch {
            throw TLSSetupError("Failed to load private key: \(keyFile): \(error)")
        }
    }

    /// The CA certificates peers are checked against.
    private static func trust(_ settings: inout TLSConfiguration, caFile: String, caDirectory: String) {
        if !caFile.isEmpty {
            settings.trustRoots = .file(caFile)
            if !caDirectory.isEmpty { settings.additionalTrustRoots = [.file(caDirectory)] }
        } else if !caDirectory.isEmpty {
            settings.trustRoots = .file(caDirectory)
        }
    }

    /// tls-dh-params-file must name a readable PEM DH parameters file, as Redis requires;
    /// BoringSSL offers no DHE ciphers, so the parameters go unused (ECDHE is negotiated).
    static func checkDHParameters(_ path: String) throws(TLSSetupError) {
        guard !path.isEmpty else { return }
        guard let bytes = readWholeFile(path),
            String(decoding: bytes, as: UTF8.self).contains("-----BEGIN DH PARAMETERS-----")
        else {
            throw TLSSetupError("Failed to load \(path)")
        }
    }

    /// tls-protocols ("TLSv1.2 TLSv1.3", any case) as the lowest and highest version; empty
    /// means TLS 1.2 and 1.3, as Redis's default.
    static func protocolRange(_ text: String) throws(TLSSetupError) -> (TLSVersion, TLSVersion) {
        let words = text.split(separator: " ").map { $0.lowercased() }
        guard !words.isEmpty else { return (.tlsv12, .tlsv13) }
        let known: [(String, TLSVersion, Int)] = [
            ("tlsv1", .tlsv1, 0), ("tlsv1.1", .tlsv11, 1), ("tlsv1.2", .tlsv12, 2), ("tlsv1.3", .tlsv13, 3),
        ]
        var levels: [(TLSVersion, Int)] = []
        for word in words {
            guard let match = known.first(where: { $0.0 == word }) else {
                throw TLSSetupError(
                    "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.")
            }
            levels.append((match.1, match.2))
        }
        let lowest = levels.min { $0.1 < $1.1 }!
        let highest = levels.max { $0.1 < $1.1 }!
        return (lowest.0, highest.0)
    }
}
