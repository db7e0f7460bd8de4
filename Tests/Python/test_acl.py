"""ACL users over real connections: authentication, NOPERM texts, what changing or
deleting a user does to its connections, the ACL file, `user` lines in the config and
CONFIG REWRITE, requirepass as the default user's password, scripts and transactions
run as a user."""
import os
import subprocess

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from conftest import BINARY, free_port
from raw_resp import RawClient


def connect(server, **options):
    # No retries: redis-py retries a refused AUTH (an AuthenticationError) with backoff.
    return redis.Redis(port=server.port, decode_responses=True, retry=Retry(NoBackoff(), 0), **options)


def error_of(call, *args):
    with pytest.raises((redis.ResponseError, redis.AuthenticationError)) as raised:
        call(*args)
    return str(raised.value)


def wait_until(condition, timeout=10):
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_new_users_start_disabled_without_permissions(server):
    admin = connect(server)
    assert admin.execute_command("ACL", "SETUSER", "alice", ">secret") == "OK"
    user = connect(server)
    # redis-py drops the WRONGPASS code of the error it raises.
    assert error_of(user.execute_command, "AUTH", "alice", "secret") == \
        "invalid username-password pair or user is disabled." 
    admin.execute_command("ACL", "SETUSER", "alice", "on")
    assert user.execute_command("AUTH", "alice", "secret") is True
    assert error_of(user.get, "k") == "this user has no permissions to run the 'get' command"
    admin.execute_command("ACL", "SETUSER", "alice", "+get")
    assert error_of(user.get, "k") == "this user has no permissions to access one of the keys used as arguments"
    admin.execute_command("ACL", "SETUSER", "alice", "~k*")
    assert user.get("k") is None
    log = admin.execute_command("ACL", "LOG")
    assert [(e["reason"], e["object"], e["username"], e["context"]) for e in map(dict, log)][:2] == [
        ("key", "k", "alice", "toplevel"), ("command", "get", "alice", "toplevel")]


def test_subcommands_first_arguments_and_channels(server):
    admin = connect(server)
    admin.execute_command("ACL", "SETUSER", "bob", "on", "nopass", "+@all", "-client", "+client|id",
                          "-select", "+select|0", "resetchannels", "&news.*", "allkeys")
    user = connect(server)
    user.execute_command("AUTH", "bob", "anything")
    assert isinstance(user.execute_command("CLIENT", "ID"), int)
    assert "'client|kill'" in error_of(user.execute_command, "CLIENT", "KILL", "ID", "999")
    assert user.execute_command("SELECT", "0") is True
    assert "'select'" in error_of(user.execute_command, "SELECT", "1")
    assert user.publish("news.today", "m") == 0
    assert error_of(user.publish, "sport", "m") == \
        "this user has no permissions to access one of the channels used as arguments"
    assert admin.execute_command("ACL", "DRYRUN", "bob", "PSUBSCRIBE", "news.*") == "OK"
    assert admin.execute_command("ACL", "DRYRUN", "bob", "PSUBSCRIBE", "news.x*") == \
        "This user has no permissions to access the 'news.x*' channel"


def test_revoked_channels_disconnect_subscribers(server):
    admin = connect(server)
    admin.execute_command("ACL", "SETUSER", "sub", "on", "nopass", "+@all", "resetchannels", "&a", "&b*")
    subscriber = connect(server)
    subscriber.execute_command("AUTH", "sub", "x")
    subscriber.execute_command("CLIENT", "SETNAME", "listener")
    pubsub = subscriber.pubsub()
    pubsub.execute_command("AUTH", "sub", "x")
    pubsub.execute_command("CLIENT", "SETNAME", "listener")
    pubsub.subscribe("a")
    pubsub.psubscribe("b*")
    assert wait_until(lambda: "name=listener" in admin.execute_command("CLIENT", "LIST")
                      and "psub=1" in admin.execute_command("CLIENT", "LIST"))
    # Keeping every pattern (and adding some) keeps the subscriber.
    admin.execute_command("ACL", "SETUSER", "sub", "&c")
    assert admin.execute_command("CLIENT", "LIST").count("psub=1") == 1
    admin.execute_command("ACL", "SETUSER", "sub", "resetchannels", "&a")
    assert "psub=1" not in admin.execute_command("CLIENT", "LIST")
    pubsub.close()
    subscriber.close()


def test_deleting_a_user_closes_its_connections_after_the_reply(server):
    admin = connect(server)
    admin.execute_command("ACL", "SETUSER", "gone", "on", ">pw", "+@all", "~*")
    user = RawClient(server.port)
    assert user.call(b"AUTH", b"gone", b"pw") == b"+OK\r\n"
    other = RawClient(server.port)
    other.call(b"AUTH", b"gone", b"pw")
    other.call(b"CLIENT", b"SETNAME", b"other")
    assert user.call(b"ACL", b"DELUSER", b"gone", b"nobody") == b":1\r\n"
    assert user.sock.recv(100) == b""
    assert other.sock.recv(100) == b""
    assert "name=other" not in admin.execute_command("CLIENT", "LIST")
    assert error_of(admin.execute_command, "ACL", "DELUSER", "default") == "The 'default' user cannot be removed"


def test_transaction_and_script_denials(server):
    admin = connect(server)
    admin.execute_command("ACL", "SETUSER", "tx", "on", ">pw", "+multi", "+exec", "+incr", "+eval", "~obj:*")
    user = connect(server, single_connection_client=True)
    user.execute_command("AUTH", "tx", "pw")
    user.execute_command("MULTI")
    assert "no permissions to access one of the keys" in error_of(user.execute_command, "INCR", "other")
    assert error_of(user.execute_command, "EXEC").startswith("Transaction discarded")
    user.execute_command("MULTI")
    assert user.execute_command("INCR", "obj:1") == "QUEUED"
    admin.execute_command("ACL", "SETUSER", "tx", "-incr")
    replies = user.execute_command("EXEC")
    assert "ACLs rules changed between the moment the transaction was accumulated and the EXEC call" in str(replies[0])
    entries = [dict(e) for e in admin.execute_command("ACL", "LOG")]
    assert entries[0]["context"] == "multi" and entries[0]["object"] == "incr"
    assert "can't run this command or subcommand" in error_of(
        user.execute_command, "EVAL", "return redis.call('incr', 'obj:1')", "0")
    assert dict(admin.execute_command("ACL", "LOG")[0])["context"] == "lua"
    assert user.execute_command("EVAL", "return redis.acl_check_cmd('incr', 'obj:1')", "0") is None
    admin.execute_command("ACL", "SETUSER", "tx", "+incr")
    assert user.execute_command("EVAL", "return redis.acl_check_cmd('incr', 'obj:1')", "0") == 1


def test_requirepass_is_the_default_users_password(server):
    admin = connect(server)
    admin.config_set("requirepass", "s3cret")
    raw = RawClient(server.port)
    assert raw.call(b"PING") == b"-NOAUTH Authentication required.\r\n"
    assert raw.call(b"AUTH", b"wrong") == b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    assert raw.call(b"AUTH", b"s3cret") == b"+OK\r\n"
    assert raw.call(b"AUTH", b"default", b"s3cret") == b"+OK\r\n"
    fresh = connect(server, password="s3cret")
    info = dict(fresh.execute_command("ACL", "GETUSER", "default"))
    assert info["flags"] == ["on"] and len(info["passwords"]) == 1
    hello = redis.Redis(port=server.port, protocol=3, username="default", password="s3cret")
    assert hello.ping()
    fresh.config_set("requirepass", "")
    assert connect(server).ping()
    assert RawClient(server.port).call(b"AUTH", b"x") == \
        b"-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"


def test_acl_file_save_and_load(server_factory, tmp_path):
    acl_file = tmp_path / "users.acl"
    acl_file.write_text("user alice on >alice ~* &* +@all\nuser default on nopass ~* &* +@all\n")
    server = server_factory("--dir", str(tmp_path), "--aclfile", "users.acl")
    admin = connect(server)
    assert sorted(admin.execute_command("ACL", "USERS")) == ["alice", "default"]
    admin.execute_command("ACL", "SETUSER", "eve", "on", ">eve", "+get", "allkeys")
    assert admin.execute_command("ACL", "SAVE") == "OK"
    saved = acl_file.read_text().splitlines()
    assert saved[-1].startswith("user eve on #") and saved[-1].endswith("~* resetchannels -@all +get")
    eve = RawClient(server.port)
    assert eve.call(b"AUTH", b"eve", b"eve") == b"+OK\r\n"
    assert admin.execute_command("ACL", "LOAD") == "OK"
    assert eve.sock.recv(100) == b""
    acl_file.write_text(acl_file.read_text() + "user alice on nopass\n")
    assert "Duplicate user 'alice' found" in error_of(admin.execute_command, "ACL", "LOAD")
    assert "eve" in admin.execute_command("ACL", "USERS")


def test_config_user_lines_and_rewrite(tmp_path):
    port = free_port()
    config = tmp_path / "redstart.conf"
    config.write_text('port %d\nsave ""\nuser default on nopass ~* &* +@all -flushdb\nuser app on >pw ~app:* +@read\n' % port)
    process = subprocess.Popen([BINARY, str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        client = redis.Redis(port=port, decode_responses=True)
        assert wait_until(lambda: _pings(client))
        assert error_of(client.flushdb).startswith("this user has no permissions to run the 'flushdb' command")
        client.execute_command("ACL", "SETUSER", "added", "on", "nopass", "+ping")
        client.config_rewrite()
        lines = [line for line in config.read_text().splitlines() if line.startswith("user ")]
        assert lines == [
            "user added on nopass resetchannels -@all +ping",
            "user app on #%s ~app:* resetchannels -@all +@read" % _sha256("pw"),
            # A `user default` line starts from `reset`, which sets sanitize-payload (as Redis).
            "user default on nopass sanitize-payload ~* &* +@all -flushdb",
        ]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_duplicate_config_users_and_users_with_aclfile_stop_start_up(tmp_path):
    duplicate = subprocess.run([BINARY, "--port", str(free_port()), "--user", "foo", "--user", "foo"],
                               capture_output=True, timeout=30)
    assert duplicate.returncode == 1 and b"Duplicate user" in duplicate.stdout + duplicate.stderr
    (tmp_path / "u.acl").write_text("user x on nopass\n")
    both = subprocess.run([BINARY, "--port", str(free_port()), "--dir", str(tmp_path), "--aclfile", "u.acl",
                           "--user", "y"], capture_output=True, timeout=30)
    assert both.returncode == 1 and b"either an ACL file or declare users" in both.stdout + both.stderr
    (tmp_path / "bad.acl").write_text("user x on +nosuchcommand\n")
    bad = subprocess.run([BINARY, "--port", str(free_port()), "--dir", str(tmp_path), "--aclfile", "bad.acl"],
                         capture_output=True, timeout=30)
    assert bad.returncode == 1 and b"Unknown command or category name in ACL" in bad.stdout + bad.stderr


def _pings(client):
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


def _sha256(text):
    import hashlib
    return hashlib.sha256(text.encode()).hexdigest()
