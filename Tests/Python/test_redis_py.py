"""redis-py against Redstart, over RESP2 and RESP3 (redis-py 5+ sends HELLO 3 when
asked for protocol 3, and CLIENT SETINFO on every new connection)."""
import threading

import pytest
import redis

PROTOCOLS = [2, 3]


def test_ping_echo_set_get(client):
    assert client.ping() is True
    assert client.echo("hi") == "hi"
    assert client.set("k", "v") is True
    assert client.get("k") == "v"
    assert client.get("missing") is None
    assert client.set("k", "w", nx=True) is None
    assert client.set("k", "w", xx=True, get=True) == "v"
    assert client.set("t", "1", ex=100) is True
    assert client.exists("k", "t", "nope") == 2
    assert client.delete("k", "nope") == 1
    assert client.dbsize() == 1


def test_binary_values_roundtrip(server):
    c = redis.Redis(port=server.port)
    value = bytes(range(256)) * 10
    c.set(b"\x00bin\xff", value)
    assert c.get(b"\x00bin\xff") == value


def test_hello_handshake_and_client_info(server):
    c = redis.Redis(port=server.port, protocol=3, decode_responses=True, client_name="py-client")
    c.execute_command("CLIENT", "SETINFO", "LIB-NAME", "redis-py-test")
    c.execute_command("CLIENT", "SETINFO", "LIB-VER", "9.9")
    assert c.ping() is True
    info = c.client_info()
    assert info["name"] == "py-client"
    assert info["resp"] == "3"
    assert info["lib-name"] == "redis-py-test"
    assert info["lib-ver"] == "9.9"
    assert c.client_getname() == "py-client"
    assert c.client_id() == int(info["id"])
    c.close()


def test_errors_are_response_errors(client):
    with pytest.raises(redis.ResponseError, match="unknown command 'NOSUCH'"):
        client.execute_command("NOSUCH", "a")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'get' command"):
        client.execute_command("GET")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        client.execute_command("SET", "k", "v", "BOGUS")


def test_pipeline(client):
    pipe = client.pipeline(transaction=False)
    for i in range(1000):
        pipe.set("p%d" % i, i)
    for i in range(1000):
        pipe.get("p%d" % i)
    results = pipe.execute()
    assert results[:1000] == [True] * 1000
    assert results[1000:] == [str(i) for i in range(1000)]


def test_info_and_config(client):
    info = client.info()
    assert info["redis_version"] == "7.0.15"
    assert "redstart_version" in info
    assert info["role"] == "master"
    server_info = client.info("server")
    assert server_info["tcp_port"] > 0
    assert "connected_clients" not in server_info
    assert client.config_set("slowlog-max-len", 64) is True
    assert client.config_get("slowlog-max-len") == {"slowlog-max-len": "64"}
    assert set(client.config_get("maxmemory*")) >= {"maxmemory", "maxmemory-policy", "maxmemory-samples"}
    with pytest.raises(redis.ResponseError, match="Unknown option or number of arguments for CONFIG SET - 'nosuch'"):
        client.config_set("nosuch", 1)
    assert client.config_resetstat() is True


def test_client_list_kill_and_setname(server):
    a = redis.Redis(port=server.port, decode_responses=True)
    b = redis.Redis(port=server.port, decode_responses=True)
    a.client_setname("alpha")
    b.ping()
    clients = a.client_list()
    names = {c["name"] for c in clients}
    assert "alpha" in names
    b_id = b.client_id()
    assert a.client_kill_filter(_id=b_id) == 1
    ids = {int(c["id"]) for c in a.client_list()}
    assert b_id not in ids
    # redis-py notices the closed connection and opens a new one.
    assert b.ping() is True
    assert b.client_id() != b_id


def test_slowlog(client):
    client.config_set("slowlog-log-slower-than", 0)
    client.slowlog_reset()
    client.set("slow", "1")
    entries = client.slowlog_get(10)
    # redis-py returns slowlog commands as bytes even with decode_responses.
    assert any(e["command"] == b"SET slow 1" for e in entries)
    assert client.slowlog_len() >= 1
    client.config_set("slowlog-log-slower-than", 10000)


def test_time_and_lastsave(client):
    seconds, micros = client.time()
    assert seconds > 1_600_000_000
    assert 0 <= micros < 1_000_000
    assert client.lastsave() is not None


def test_auth(server_factory):
    server = server_factory("--requirepass", "pw")
    anonymous = redis.Redis(port=server.port)
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()
    for protocol in PROTOCOLS:
        c = redis.Redis(port=server.port, password="pw", protocol=protocol)
        assert c.ping() is True
        c.close()
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=server.port, password="wrong").ping()


def test_select_db(server):
    c0 = redis.Redis(port=server.port, db=0, decode_responses=True)
    c5 = redis.Redis(port=server.port, db=5, decode_responses=True)
    c0.set("k", "zero")
    c5.set("k", "five")
    assert c0.get("k") == "zero"
    assert c5.get("k") == "five"


def test_monitor(server):
    watcher = redis.Redis(port=server.port, decode_responses=True)
    worker = redis.Redis(port=server.port, decode_responses=True)
    with watcher.monitor() as m:
        worker.set("watched", "1")
        seen = None
        for event in m.listen():
            if event["command"].startswith("SET"):
                seen = event
                break
    assert seen["command"] == "SET watched 1"
    assert seen["db"] == 0


def test_many_threads_share_a_pool(server):
    pool = redis.ConnectionPool(port=server.port, max_connections=20, decode_responses=True)
    errors = []

    def work(n):
        try:
            c = redis.Redis(connection_pool=pool)
            for i in range(200):
                c.set("t%d:%d" % (n, i), i)
                assert c.get("t%d:%d" % (n, i)) == str(i)
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert redis.Redis(connection_pool=pool).dbsize() == 2000
