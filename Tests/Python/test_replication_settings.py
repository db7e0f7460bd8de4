"""Replication settings that change what happens around a copy or a failed command:
replica-lazy-flush (the old dataset freed in the background), rdb-del-sync-files
(the RDB file of a disk copy removed on both sides when nothing else keeps data on
disk), repl-disable-tcp-nodelay (Nagle back on the replica's connection),
propagation-error-behavior (a failed command from the primary or the AOF: logged,
or a panic) and replica-ignore-disk-write-errors (a replica that cannot persist
stops, or applies the stream anyway)."""
import os
import shutil
import time

import strace_server
from conftest import BINARY
from test_persistence import processes, start, wait_for, workdir  # noqa: F401 (fixtures)
from test_replication import follow, server, wait_synced


def test_replica_lazy_flush_frees_the_old_dataset_in_the_background(workdir, processes):  # noqa: F811
    primary = server(processes, workdir, "primary")
    primary.client().set("from-primary", "1")
    results = {}
    for setting in ("no", "yes"):
        replica = server(processes, workdir, "replica-" + setting, "redstart", "--replica-lazy-flush", setting)
        r = replica.client()
        r.execute_command("DEBUG", "POPULATE", "5000")
        follow(r, primary)
        wait_synced(primary.client(), r)
        assert r.dbsize() == 1
        if setting == "yes":
            wait_for(lambda: r.info("memory")["lazyfreed_objects"] >= 1, message="the old dataset freed in the background")
        results[setting] = r.info("memory")["lazyfreed_objects"]
    assert results["no"] == 0


def test_rdb_del_sync_files_removes_the_copy_files_when_nothing_persists(workdir, processes):  # noqa: F811
    primary = server(processes, workdir, "primary", "redstart", "--repl-diskless-sync", "no", "--rdb-del-sync-files", "yes")
    primary.client().set("key", "value")
    replica = server(processes, workdir, "replica", "redstart", "--rdb-del-sync-files", "yes")
    follow(replica.client(), primary)
    wait_synced(primary.client(), replica.client())
    assert replica.client().get("key") == b"value"
    wait_for(lambda: not os.path.exists(os.path.join(primary.directory, "dump.rdb")), message="the primary's file removed")
    wait_for(lambda: not os.path.exists(os.path.join(replica.directory, "dump.rdb")), message="the replica's file removed")
    assert "Removing the RDB file used to feed replicas in a persistence-less instance" in primary.log_text()
    assert "Removing the RDB file obtained from the master. This replica has persistence disabled" in replica.log_text()

    # With the setting off (the default), or with save points, the files stay.
    other = server(processes, workdir, "primary-keeps", "redstart", "--repl-diskless-sync", "no")
    keeper = server(processes, workdir, "replica-keeps", "redstart", "--rdb-del-sync-files", "yes", "--save", "900 1")
    follow(keeper.client(), other)
    wait_synced(other.client(), keeper.client())
    time.sleep(1.5)  # the replication cron, which removes such files, runs once a second
    assert os.path.exists(os.path.join(other.directory, "dump.rdb"))
    assert os.path.exists(os.path.join(keeper.directory, "dump.rdb"))


def test_repl_disable_tcp_nodelay_turns_nagle_back_on_for_the_replica(workdir, processes):  # noqa: F811
    trace = os.path.join(workdir, "primary.trace")
    directory = os.path.join(workdir, "primary")
    os.makedirs(directory)
    primary = strace_server.traced_server(processes, directory, trace, "setsockopt", "--save", "",
                                          "--repl-diskless-sync-delay", "0", "--repl-disable-tcp-nodelay", "yes")
    replica = server(processes, workdir, "replica")
    follow(replica.client(), primary)
    wait_synced(primary.client(), replica.client())
    with open(trace) as f:
        calls = [line for line in f if "TCP_NODELAY" in line]
    # Every accepted connection turns Nagle off; the replica's turns it back on.
    assert any("[1]" in line or '"\\1\\0' in line for line in calls), calls
    assert any("[0]" in line or '"\\0\\0' in line for line in calls), calls


def test_a_failed_command_from_the_primary_is_logged_or_panics(workdir, processes):  # noqa: F811
    primary = server(processes, workdir, "primary")
    logged = server(processes, workdir, "logged")
    panicking = server(processes, workdir, "panicking", "redstart", "--propagation-error-behavior", "panic-on-replicas",
                       "--use-exit-on-panic", "yes", "--crash-memcheck-enabled", "no")
    for replica in (logged, panicking):
        follow(replica.client(), primary)
        wait_synced(primary.client(), replica.client())
    p = primary.client()
    p.set("text", "not a number")
    # A command the replicas alone get: INCR of a string fails there.
    p.execute_command("DEBUG", "REPLICATE", "INCR", "text")
    assert panicking.wait_exit() == 1
    assert "Guru Meditation: This replica panicked sending an error to its master after processing the command 'incr'" in panicking.log_text()
    wait_for(lambda: logged.client().info("stats")["unexpected_error_replies"] == 1, message="the error counted")
    assert ("== CRITICAL == This replica is sending an error to its master: "
            "'ERR value is not an integer or out of range' after processing the command 'incr'") in logged.log_text()
    assert logged.client().get("text") == b"not a number"


def incr_file(directory):
    aof = os.path.join(directory, "appendonlydir")
    return os.path.join(aof, sorted(name for name in os.listdir(aof) if name.endswith(".incr.aof"))[-1])


def test_a_failed_command_in_the_aof_is_logged_or_panics(workdir, processes):  # noqa: F811
    directory = os.path.join(workdir, "aof")
    os.makedirs(directory)
    p = start(processes, BINARY, directory, "--appendonly", "yes", "--save", "")
    p.client().set("text", "not a number")
    p.shutdown("NOSAVE")
    with open(incr_file(directory), "ab") as f:
        f.write(b"*2\r\n$4\r\nINCR\r\n$4\r\ntext\r\n")
        # A failure inside a transaction is reported too, after the EXEC (Redis's lastcmd).
        f.write(b"*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$4\r\ntext\r\n*1\r\n$4\r\nEXEC\r\n")
    saved = os.path.join(workdir, "saved")
    shutil.copytree(directory, saved)

    p = start(processes, BINARY, directory, "--appendonly", "yes", "--save", "")
    assert p.client().info("stats")["unexpected_error_replies"] == 2
    assert ("== CRITICAL == This server is sending an error to its AOF-loading-client: "
            "'ERR value is not an integer or out of range' after processing the command 'incr'") in p.log_text()
    assert ("== CRITICAL == This server is sending an error to its AOF-loading-client: "
            "'ERR value is not an integer or out of range' after processing the command 'exec'") in p.log_text()
    p.shutdown("NOSAVE")

    p = start(processes, BINARY, saved, "--appendonly", "yes", "--save", "", "--propagation-error-behavior", "panic",
              "--use-exit-on-panic", "yes", "--crash-memcheck-enabled", "no", wait=False)
    assert p.wait_exit() == 1
    assert "This server panicked sending an error to its AOF-loading-client after processing the command 'incr'" in p.log_text()


def break_the_disk(replica):
    """Makes the replica's next save fail: its directory is gone (root may write anywhere else)."""
    r = replica.client()
    gone = os.path.join(replica.directory, "gone")
    os.makedirs(gone)
    r.config_set("dir", gone)
    os.rmdir(gone)
    r.bgsave()
    wait_for(lambda: r.info("persistence")["rdb_last_bgsave_status"] == "err", message="the save to fail")


def test_a_replica_that_cannot_write_to_disk_stops_unless_told_to_go_on(workdir, processes):  # noqa: F811
    primary = server(processes, workdir, "primary")
    stopping = server(processes, workdir, "stopping", "redstart", "--save", "900 1", "--use-exit-on-panic", "yes",
                      "--crash-memcheck-enabled", "no", "--enable-protected-configs", "yes")
    going_on = server(processes, workdir, "going-on", "redstart", "--save", "900 1",
                      "--replica-ignore-disk-write-errors", "yes", "--enable-protected-configs", "yes")
    for replica in (stopping, going_on):
        follow(replica.client(), primary)
        wait_synced(primary.client(), replica.client())
        break_the_disk(replica)
    primary.client().set("after", "the failure")
    assert stopping.wait_exit() == 1
    assert "Guru Meditation: Replica was unable to write command to disk." in stopping.log_text()
    wait_for(lambda: going_on.client().get("after") == b"the failure", message="the write applied")
    assert "Replica is applying a command even though it is unable to write to disk." in going_on.log_text()
    # Its own clients' writes are still refused.
    try:
        going_on.client().config_set("replica-read-only", "no")
        going_on.client().set("mine", "1")
        raise AssertionError("a write was accepted")
    except Exception as error:  # redis.ResponseError
        assert "MISCONF" in str(error)
