"""Transactions through redis-py over real sockets: pipeline(transaction=True),
watch()/WatchError and Redis.transaction(), and optimistic-locking races
between threads in which every increment and every pop must happen exactly
once."""
import threading

import pytest
import redis

PROTOCOLS = [2, 3]


def test_pipeline_transaction(client):
    pipe = client.pipeline(transaction=True)
    pipe.set("a", 1).incr("a").get("a")
    assert pipe.execute() == [True, 2, "2"]


def test_error_inside_exec_leaves_the_rest(client):
    client.set("text", "abc")
    pipe = client.pipeline()
    pipe.incr("text").set("b", 2)
    results = pipe.execute(raise_on_error=False)
    assert isinstance(results[0], redis.ResponseError)
    assert results[1] is True
    assert client.get("b") == "2"


def test_queueing_error_discards_everything(client):
    pipe = client.pipeline()
    pipe.set("a", 1)
    pipe.execute_command("NOSUCHCOMMAND", "x")
    with pytest.raises(redis.ResponseError) as failure:
        pipe.execute()
    assert "unknown command" in str(failure.value) or "EXECABORT" in str(failure.value)
    assert client.exists("a") == 0


def test_watch_error_when_the_key_changes(client, server):
    other = redis.Redis(port=server.port)
    with client.pipeline() as pipe:
        pipe.watch("k")
        assert pipe.get("k") is None
        other.set("k", "changed")
        pipe.multi()
        pipe.set("k", "mine")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert client.get("k") == "changed"
    other.close()


def test_transaction_helper_retries_after_a_change(client, server):
    other = redis.Redis(port=server.port)
    seen = []

    def body(pipe):
        value = int(pipe.get("counter") or 0)
        if not seen:
            other.incr("counter")  # spoil the first attempt
        seen.append(value)
        pipe.multi()
        pipe.set("counter", value + 10)

    client.transaction(body, "counter")
    assert seen == [0, 1]
    assert client.get("counter") == "11"
    other.close()


def run_threads(count, target):
    errors = []

    def guarded(index):
        try:
            target(index)
        except Exception as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_concurrent_optimistic_increments(server, protocol):
    clients, increments = 10, 200
    retries = []

    def worker(_):
        r = redis.Redis(port=server.port, protocol=protocol)
        done = 0
        while done < increments:
            with r.pipeline() as pipe:
                try:
                    pipe.watch("counter")
                    value = int(pipe.get("counter") or 0)
                    pipe.multi()
                    pipe.set("counter", value + 1)
                    pipe.execute()
                    done += 1
                except redis.WatchError:
                    retries.append(1)
        r.close()

    run_threads(clients, worker)
    r = redis.Redis(port=server.port)
    assert int(r.get("counter")) == clients * increments
    r.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_concurrent_pops_take_every_member_once(server, protocol):
    # A sorted set of 1,000 members; pop = WATCH, ZRANGE key 0 0, MULTI, ZREM, EXEC;
    # retry when another client got there first.
    members = 1000
    setup = redis.Redis(port=server.port)
    setup.zadd("members", {str(member): member for member in range(members)})
    popped = [[] for _ in range(10)]

    def worker(index):
        r = redis.Redis(port=server.port, protocol=protocol, decode_responses=True)
        while True:
            with r.pipeline() as pipe:
                try:
                    pipe.watch("members")
                    first = pipe.zrange("members", 0, 0)
                    if not first:
                        break
                    pipe.multi()
                    pipe.zrem("members", first[0])
                    pipe.execute()
                    popped[index].append(int(first[0]))
                except redis.WatchError:
                    continue
        r.close()

    run_threads(10, worker)
    everything = sorted(member for mine in popped for member in mine)
    assert everything == list(range(members))
    assert setup.exists("members") == 0
    setup.close()


def test_client_list_shows_a_client_in_multi(server):
    r = redis.Redis(port=server.port, decode_responses=True)
    conn = r.connection_pool.get_connection()
    conn.send_command("MULTI")
    assert conn.read_response() == "OK"
    conn.send_command("SET", "a", "1")
    assert conn.read_response() == "QUEUED"
    mine = [c for c in r.client_list() if c["flags"] == "x"]
    assert len(mine) == 1 and mine[0]["multi"] == "1" and mine[0]["cmd"] == "set"
    conn.send_command("EXEC")
    assert conn.read_response() == ["OK"]
    r.connection_pool.release(conn)
    r.close()
