"""TLS: tls-port beside the plain port, with certificates made by Scripts/gen-test-certs.sh;
redis-cli --tls and redis-py with ssl=True; client certificates required, optional or not
asked for; an encrypted key; protocol versions; CONFIG SET of the TLS settings; start-up
refusals."""
import os
import socket
import ssl
import subprocess

import pytest
import redis

from conftest import BINARY, ROOT, free_port


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    directory = tmp_path_factory.mktemp("certs")
    subprocess.run([os.path.join(ROOT, "Scripts", "gen-test-certs.sh"), str(directory)], check=True,
                   capture_output=True)
    return directory


def tls_args(certs, port, *extra):
    return ["--tls-port", str(port), "--tls-cert-file", str(certs / "server.crt"),
            "--tls-key-file", str(certs / "server.key"), "--tls-ca-cert-file", str(certs / "ca.crt"), *extra]


def tls_client(certs, port, with_certificate=True, **options):
    extra = {"ssl_certfile": str(certs / "client.crt"), "ssl_keyfile": str(certs / "client.key")} if with_certificate else {}
    return redis.Redis(port=port, ssl=True, ssl_ca_certs=str(certs / "ca.crt"), decode_responses=True,
                       retry=None, **extra, **options)


def cli(certs, port, *args, with_certificate=True):
    command = ["redis-cli", "-p", str(port), "--tls", "--cacert", str(certs / "ca.crt")]
    if with_certificate:
        command += ["--cert", str(certs / "client.crt"), "--key", str(certs / "client.key")]
    return subprocess.run(command + list(args), capture_output=True, text=True, timeout=30)


def ping_with_tls12(certs, port):
    """PING over a connection that offers TLS 1.2 at most."""
    context = ssl.create_default_context(cafile=str(certs / "ca.crt"))
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(certs / "client.crt"), str(certs / "client.key"))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(100)


def test_plain_and_tls_ports_serve_the_same_data(server_factory, certs):
    tls_port = free_port()
    server = server_factory(*tls_args(certs, tls_port))
    plain = redis.Redis(port=server.port, decode_responses=True)
    secure = tls_client(certs, tls_port)
    assert secure.set("key", "x" * 300000)
    assert plain.strlen("key") == 300000
    pipe = secure.pipeline(transaction=False)
    for index in range(2000):
        pipe.incr("counter")
    assert pipe.execute()[-1] == 2000
    assert cli(certs, tls_port, "GET", "counter").stdout.strip() == "2000"
    pubsub = secure.pubsub()
    pubsub.subscribe("news")
    assert pubsub.get_message(timeout=5)["type"] == "subscribe"
    assert plain.publish("news", "hello") == 1
    assert pubsub.get_message(timeout=5)["data"] == "hello"
    pubsub.close()


def test_client_certificates_required_optional_or_not_asked(server_factory, certs):
    tls_port = free_port()
    server = server_factory(*tls_args(certs, tls_port))
    admin = redis.Redis(port=server.port, decode_responses=True)
    assert cli(certs, tls_port, "PING").stdout.strip() == "PONG"
    refused = cli(certs, tls_port, "PING", with_certificate=False)
    assert "PONG" not in refused.stdout
    admin.config_set("tls-auth-clients", "optional")
    assert cli(certs, tls_port, "PING", with_certificate=False).stdout.strip() == "PONG"
    assert cli(certs, tls_port, "PING").stdout.strip() == "PONG"
    admin.config_set("tls-auth-clients", "no")
    assert tls_client(certs, tls_port, with_certificate=False).ping()


def test_encrypted_key_protocols_and_reconfiguration(server_factory, certs):
    tls_port = free_port()
    server = server_factory(
        "--tls-port", str(tls_port), "--tls-cert-file", str(certs / "server.crt"),
        "--tls-key-file", str(certs / "server-encrypted.key"), "--tls-key-file-pass", "redstart",
        "--tls-ca-cert-file", str(certs / "ca.crt"), "--tls-protocols", "TLSv1.3")
    admin = redis.Redis(port=server.port, decode_responses=True)
    assert tls_client(certs, tls_port).ping()
    with pytest.raises(ssl.SSLError):
        ping_with_tls12(certs, tls_port)
    admin.config_set("tls-protocols", "TLSv1.2 TLSv1.3")
    assert ping_with_tls12(certs, tls_port) == b"+PONG\r\n"
    with pytest.raises(redis.ResponseError, match="Unable to update TLS configuration"):
        admin.config_set("tls-cert-file", str(certs / "missing.crt"))
    assert admin.config_get("tls-cert-file")["tls-cert-file"] == str(certs / "server.crt")
    with pytest.raises(redis.ResponseError, match="Invalid|Unable"):
        admin.config_set("tls-protocols", "SSLv3")
    moved = free_port()
    admin.config_set("tls-port", str(moved))
    assert tls_client(certs, moved).ping()
    with pytest.raises(redis.ResponseError, match="fixed set of TLS 1.3 cipher suites"):
        admin.config_set("tls-ciphersuites", "TLS_AES_128_GCM_SHA256")
    assert "tls-key-file-pass" in admin.config_get("tls-*")


def test_acl_users_over_tls(server_factory, certs):
    tls_port = free_port()
    server = server_factory(*tls_args(certs, tls_port))
    admin = redis.Redis(port=server.port, decode_responses=True)
    admin.execute_command("ACL", "SETUSER", "app", "on", ">pw", "~app:*", "+@all")
    user = tls_client(certs, tls_port, username="app", password="pw")
    assert user.set("app:1", "v")
    with pytest.raises(redis.ResponseError, match="no permissions"):
        user.set("other", "v")


@pytest.mark.parametrize("arguments, message", [
    (["--tls-port", "0", "--tls-replication", "yes"], b"No tls-cert-file configured!"),
    (["--tls-cert-file", "CERT", "--tls-key-file", "KEY", "--tls-port", "PORT"],
     b"Either tls-ca-cert-file or tls-ca-cert-dir must be specified"),
    (["--tls-cert-file", "CERT", "--tls-key-file", "/nonexistent.key", "--tls-ca-cert-file", "CA", "--tls-port", "PORT"],
     b"Failed to load private key"),
])
def test_start_up_refuses_bad_tls_settings(certs, arguments, message):
    arguments = [a.replace("CERT", str(certs / "server.crt")).replace("KEY", str(certs / "server.key"))
                 .replace("CA", str(certs / "ca.crt")).replace("PORT", str(free_port())) for a in arguments]
    result = subprocess.run([BINARY, "--port", str(free_port()), *arguments], capture_output=True, timeout=30)
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert message in output and b"Failed to configure TLS" in output


def _wait(condition, timeout=60):
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


@pytest.mark.parametrize("primary_kind", ["redstart", "redis"])
def test_replication_over_tls(server_factory, certs, primary_kind):
    """tls-replication: the replica's link to the primary's tls-port is TLS (with the
    replica's client certificate); a Redstart replica follows a Redstart or a redis-server
    primary, and a redis-server replica follows a Redstart primary."""
    from conftest import REDIS_SERVER, ReferenceServer
    if primary_kind == "redis" and REDIS_SERVER is None:
        pytest.skip("needs redis-server")
    tls_port = free_port()
    replica_tls = ["--tls-replication", "yes", "--tls-cert-file", str(certs / "server.crt"),
                   "--tls-key-file", str(certs / "server.key"), "--tls-ca-cert-file", str(certs / "ca.crt"),
                   "--tls-client-cert-file", str(certs / "client.crt"), "--tls-client-key-file", str(certs / "client.key")]
    if primary_kind == "redis":
        primary = ReferenceServer(*tls_args(certs, tls_port), "--repl-diskless-sync-delay", "0")
    else:
        primary = server_factory(*tls_args(certs, tls_port), "--repl-diskless-sync-delay", "0")
    replicas = []
    try:
        source = redis.Redis(port=primary.port)
        source.set("before", "copy")
        replicas.append(server_factory(*replica_tls))
        if primary_kind == "redstart" and REDIS_SERVER is not None:
            replicas.append(ReferenceServer(*replica_tls))
        for replica in replicas:
            redis.Redis(port=replica.port).replicaof("127.0.0.1", tls_port)
        source.rpush("after", *range(100))
        for replica in replicas:
            target = redis.Redis(port=replica.port)
            _wait(lambda: target.info("replication")["master_link_status"] == "up" and target.llen("after") == 100)
            assert target.get("before") == b"copy"
        # The primary saw its replicas on the TLS port (they present the client certificate).
        assert redis.Redis(port=primary.port).info("replication")["connected_slaves"] == len(replicas)
    finally:
        for replica in replicas[1:]:
            replica.stop()
        if primary_kind == "redis":
            primary.stop()
