// The Lua scripts that move a job from one state to the next. Each transition is one
// script, so it is atomic on the server: a job is in exactly one of waiting, delayed,
// active, completed, failed at any time, and a worker that lost a job's lease (its token
// no longer matches) cannot complete or fail it. Times come from the server's TIME, so
// the clocks of producers and workers do not matter. Keys that a script reaches through
// the job prefix are not declared (as BullMQ's scripts do): Redstart and Redis accept that
// outside cluster mode.
import RedstartClient

enum JobScripts {
    /// Milliseconds of the server's clock.
    private static let now = """
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        """

    /// KEYS: job, waiting, delayed, signal, queues, stats, unique.
    /// ARGV: id, queue, name, payload, delay ms, unique ms (0: none), max attempts,
    ///       timeout ms (0: none), keep-result ms (-1: the worker's), event, events channel.
    /// Returns {1, id} when enqueued, {0, id of the job that holds the key or has the ID}.
    static let enqueue = RedisScript(
        now + """

            if tonumber(ARGV[6]) > 0 then
              local holder = redis.call('GET', KEYS[7])
              if holder then return {0, holder} end
              redis.call('SET', KEYS[7], ARGV[1], 'PX', ARGV[6])
            end
            if redis.call('EXISTS', KEYS[1]) == 1 then return {0, ARGV[1]} end
            redis.call('SADD', KEYS[5], ARGV[2])
            redis.call('HINCRBY', KEYS[6], 'enqueued', 1)
            local delay = tonumber(ARGV[5])
            redis.call('HSET', KEYS[1], 'name', ARGV[3], 'payload', ARGV[4], 'queue', ARGV[2], 'attempts', 0,
              'max_attempts', ARGV[7], 'enqueued_at', now)
            if ARGV[8] ~= '0' then redis.call('HSET', KEYS[1], 'timeout_ms', ARGV[8]) end
            if ARGV[9] ~= '-1' then redis.call('HSET', KEYS[1], 'keep_result_ms', ARGV[9]) end
            if tonumber(ARGV[6]) > 0 then redis.call('HSET', KEYS[1], 'unique_key', KEYS[7]) end
            if delay > 0 then
              redis.call('HSET', KEYS[1], 'state', 'delayed', 'run_at', now + delay)
              redis.call('ZADD', KEYS[3], now + delay, ARGV[1])
            else
              redis.call('HSET', KEYS[1], 'state', 'waiting')
              redis.call('LPUSH', KEYS[2], ARGV[1])
            end
            -- A waiting worker wakes: to take the job, or to learn when the delayed one is due.
            redis.call('LPUSH', KEYS[4], '1')
            redis.call('LTRIM', KEYS[4], 0, 0)
            redis.call('PUBLISH', ARGV[11], ARGV[10])
            return {1, ARGV[1]}
            """)

    /// Takes up to `want` jobs from the queues, in the order given, and leases them.
    /// KEYS: per queue waiting, active, delayed, paused, limit.
    /// ARGV: want, lease ms, worker, job prefix, then per queue: most to take (-1: any),
    ///       rate limit (0: none), rate window ms.
    /// Returns {now, ms until a delayed job is due or a rate window ends (-1: none known),
    ///          {{queue index, id, name, payload, attempt, token, enqueued at, max attempts,
    ///            timeout ms, keep-result ms, run at (0: none)}, …}}.
    static let fetch = RedisScript(
        now + """

            local want = tonumber(ARGV[1])
            local lease = tonumber(ARGV[2])
            local worker = ARGV[3]
            local prefix = ARGV[4]
            local jobs = {}
            local wake = -1
            local function soonest(ms)
              if ms >= 0 and (wake < 0 or ms < wake) then wake = ms end
            end
            for q = 0, #KEYS / 5 - 1 do
              local waiting, active, delayed, paused, limit =
                KEYS[q * 5 + 1], KEYS[q * 5 + 2], KEYS[q * 5 + 3], KEYS[q * 5 + 4], KEYS[q * 5 + 5]
              local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, 1000)
              for i = 1, #due do
                redis.call('ZREM', delayed, due[i])
                redis.call('HSET', prefix .. due[i], 'state', 'waiting')
                redis.call('RPUSH', waiting, due[i])
              end
              local first = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
              if first[2] then soonest(tonumber(first[2]) - now) end
              local take = want
              local cap = tonumber(ARGV[5 + q * 3])
              if cap >= 0 and cap < take then take = cap end
              local rate = tonumber(ARGV[6 + q * 3])
              if take > 0 and rate > 0 then
                local used = tonumber(redis.call('GET', limit) or '0')
                if used + take > rate then take = rate - used end
                if take <= 0 then
                  take = 0
                  soonest(redis.call('PTTL', limit))
                end
              end
              if take > 0 and redis.call('EXISTS', paused) == 0 then
                local ids = redis.call('RPOP', waiting, take)
                if ids then
                  if rate > 0 and redis.call('INCRBY', limit, #ids) == #ids then
                    redis.call('PEXPIRE', limit, ARGV[7 + q * 3])
                  end
                  for i = 1, #ids do
                    local key = prefix .. ids[i]
                    local fields = redis.call('HMGET', key, 'name', 'payload', 'enqueued_at', 'max_attempts',
                      'timeout_ms', 'keep_result_ms', 'run_at')
                    if fields[1] then
                      local attempt = redis.call('HINCRBY', key, 'attempts', 1)
                      local token = worker .. '/' .. attempt
                      redis.call('HSET', key, 'state', 'active', 'worker', worker, 'token', token, 'started_at', now)
                      redis.call('ZADD', active, now + lease, ids[i])
                      jobs[#jobs + 1] = {q, ids[i], fields[1], fields[2], attempt, token, fields[3], fields[4],
                        fields[5] or '0', fields[6] or '-1', fields[7] or '0'}
                      want = want - 1
                    end
                  end
                end
              end
            end
            return {now, wake, jobs}
            """)

    /// Records completed jobs, any number in one call (the worker batches them).
    /// ARGV: job prefix, events channel, then per job: id, token, result, keep ms (0:
    ///       delete now, -1: forever), event, active key, completed key, stats key.
    /// Returns one integer per job: 1, or 0 when its lease was lost.
    static let complete = RedisScript(
        now + """

            local recorded = {}
            for i = 3, #ARGV, 8 do
              local id, key = ARGV[i], ARGV[1] .. ARGV[i]
              if redis.call('HGET', key, 'token') ~= ARGV[i + 1] then
                recorded[#recorded + 1] = 0
              else
                redis.call('ZREM', ARGV[i + 5], id)
                redis.call('HINCRBY', ARGV[i + 7], 'completed', 1)
                local keep = tonumber(ARGV[i + 3])
                if keep == 0 then
                  redis.call('DEL', key, key .. ':errors')
                else
                  redis.call('HSET', key, 'state', 'completed', 'finished_at', now, 'result', ARGV[i + 2])
                  redis.call('HDEL', key, 'token')
                  if keep > 0 then
                    redis.call('ZADD', ARGV[i + 6], now + keep, id)
                    redis.call('PEXPIRE', key, keep)
                    redis.call('PEXPIRE', key .. ':errors', keep)
                  else
                    redis.call('ZADD', ARGV[i + 6], '+inf', id)
                  end
                end
                redis.call('PUBLISH', key .. ':events', ARGV[i + 4])
                redis.call('PUBLISH', ARGV[2], ARGV[i + 4])
                recorded[#recorded + 1] = 1
              end
            end
            return recorded
            """)

    /// KEYS: job, active, delayed, failed, stats, errors, signal.
    /// ARGV: id, token, error (JSON), retry delay ms (-1: no retry), keep ms (-1: forever),
    ///       final state (failed or cancelled), event, events channel, job channel.
    /// Returns 1, or 0 when the lease was lost.
    static let fail = RedisScript(
        now + """

            if redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then return 0 end
            redis.call('ZREM', KEYS[2], ARGV[1])
            redis.call('RPUSH', KEYS[6], ARGV[3])
            redis.call('HDEL', KEYS[1], 'token')
            local delay = tonumber(ARGV[4])
            if delay >= 0 then
              redis.call('HSET', KEYS[1], 'state', 'delayed', 'run_at', now + delay)
              redis.call('ZADD', KEYS[3], now + delay, ARGV[1])
              redis.call('HINCRBY', KEYS[5], 'retried', 1)
              redis.call('LPUSH', KEYS[7], '1')
              redis.call('LTRIM', KEYS[7], 0, 0)
            else
              redis.call('HSET', KEYS[1], 'state', ARGV[6], 'finished_at', now)
              redis.call('HINCRBY', KEYS[5], ARGV[6], 1)
              local keep = tonumber(ARGV[5])
              if keep >= 0 then
                redis.call('ZADD', KEYS[4], now + keep, ARGV[1])
                redis.call('PEXPIRE', KEYS[1], keep)
                redis.call('PEXPIRE', KEYS[6], keep)
              else
                redis.call('ZADD', KEYS[4], '+inf', ARGV[1])
              end
            end
            redis.call('PUBLISH', ARGV[9], ARGV[7])
            redis.call('PUBLISH', ARGV[8], ARGV[7])
            return 1
            """)

    /// The heartbeat: records the worker and extends the leases of its running jobs.
    /// KEYS: workers, worker, then each queue's active set.
    /// ARGV: worker id, worker JSON, heartbeat ttl ms, lease ms, job prefix, then per job:
    ///       queue index (into the active sets, from 0), id, token.
    /// Returns {ids whose lease is lost, ids whose cancellation was asked}.
    static let renew = RedisScript(
        now + """

            redis.call('ZADD', KEYS[1], now, ARGV[1])
            redis.call('HSET', KEYS[2], 'info', ARGV[2], 'seen', now)
            redis.call('PEXPIRE', KEYS[2], ARGV[3])
            local lease = tonumber(ARGV[4])
            local lost, cancelled = {}, {}
            for i = 6, #ARGV, 3 do
              local id = ARGV[i + 1]
              local fields = redis.call('HMGET', ARGV[5] .. id, 'token', 'cancel')
              if fields[1] == ARGV[i + 2] then
                redis.call('ZADD', KEYS[3 + tonumber(ARGV[i])], 'XX', now + lease, id)
                if fields[2] then cancelled[#cancelled + 1] = id end
              else
                lost[#lost + 1] = id
              end
            end
            return {lost, cancelled}
            """)

    /// Gives back the jobs whose lease ended (their worker died or hung), or dead-letters
    /// them when they have used their attempts; forgets completed and failed jobs whose
    /// time is up, and workers not seen for a while.
    /// KEYS: active, waiting, signal, completed, failed, stats, workers.
    /// ARGV: job prefix, keep-failed ms (-1: forever), worker expiry ms, events channel, queue.
    /// Returns {requeued, dead-lettered}.
    static let reap = RedisScript(
        now + """

            local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1000)
            local requeued, dead = 0, 0
            local keep = tonumber(ARGV[2])
            for i = 1, #expired do
              local id = expired[i]
              local key = ARGV[1] .. id
              redis.call('ZREM', KEYS[1], id)
              local fields = redis.call('HMGET', key, 'worker', 'attempts', 'max_attempts')
              if fields[2] then
                redis.call('HDEL', key, 'token')
                local message = 'the lease of worker ' .. (fields[1] or '?') .. ' ended before the job did'
                redis.call('RPUSH', key .. ':errors', cjson.encode({attempt = tonumber(fields[2]), at = now,
                  error = message, worker = fields[1] or ''}))
                redis.call('HINCRBY', KEYS[6], 'stalled', 1)
                local event
                if tonumber(fields[2]) >= tonumber(fields[3] or '1') then
                  redis.call('HSET', key, 'state', 'failed', 'finished_at', now, 'error', message)
                  redis.call('HINCRBY', KEYS[6], 'failed', 1)
                  if keep >= 0 then
                    redis.call('ZADD', KEYS[5], now + keep, id)
                    redis.call('PEXPIRE', key, keep)
                    redis.call('PEXPIRE', key .. ':errors', keep)
                  else
                    redis.call('ZADD', KEYS[5], '+inf', id)
                  end
                  dead = dead + 1
                  event = 'failed'
                else
                  redis.call('HSET', key, 'state', 'waiting')
                  redis.call('RPUSH', KEYS[2], id)
                  requeued = requeued + 1
                  event = 'stalled'
                end
                local json = cjson.encode({event = event, id = id, queue = ARGV[5], error = message})
                redis.call('PUBLISH', key .. ':events', json)
                redis.call('PUBLISH', ARGV[4], json)
              end
            end
            if requeued > 0 then
              redis.call('LPUSH', KEYS[3], '1')
              redis.call('LTRIM', KEYS[3], 0, 0)
            end
            redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
            redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
            redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now - tonumber(ARGV[3]))
            return {requeued, dead}
            """)

    /// Gives back a job the worker did not finish (graceful shutdown): waiting again, the
    /// attempt not counted. KEYS: job, active, waiting, signal. ARGV: id, token.
    static let giveBack = RedisScript(
        """
        if redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then return 0 end
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('HDEL', KEYS[1], 'token')
        redis.call('HINCRBY', KEYS[1], 'attempts', -1)
        redis.call('HSET', KEYS[1], 'state', 'waiting')
        redis.call('RPUSH', KEYS[3], ARGV[1])
        redis.call('LPUSH', KEYS[4], '1')
        redis.call('LTRIM', KEYS[4], 0, 0)
        return 1
        """)

    /// Cancels a job: a waiting or delayed one at once, an active one by asking its worker.
    /// KEYS: job, waiting, delayed, failed, stats, cancel channel.
    /// ARGV: id, keep ms (-1: forever), event, events channel, job channel.
    /// Returns the state the job was in ('' when there is no such job).
    static let cancel = RedisScript(
        now + """

            local state = redis.call('HGET', KEYS[1], 'state')
            if not state then return '' end
            if state == 'active' then
              redis.call('HSET', KEYS[1], 'cancel', '1')
              redis.call('PUBLISH', KEYS[6], ARGV[1])
              return state
            end
            if state ~= 'waiting' and state ~= 'delayed' then return state end
            if state == 'waiting' then redis.call('LREM', KEYS[2], 1, ARGV[1]) end
            if state == 'delayed' then redis.call('ZREM', KEYS[3], ARGV[1]) end
            redis.call('HSET', KEYS[1], 'state', 'cancelled', 'finished_at', now)
            redis.call('HINCRBY', KEYS[5], 'cancelled', 1)
            local keep = tonumber(ARGV[2])
            if keep >= 0 then
              redis.call('ZADD', KEYS[4], now + keep, ARGV[1])
              redis.call('PEXPIRE', KEYS[1], keep)
            else
              redis.call('ZADD', KEYS[4], '+inf', ARGV[1])
            end
            redis.call('PUBLISH', ARGV[5], ARGV[3])
            redis.call('PUBLISH', ARGV[4], ARGV[3])
            return state
            """)

    /// Puts a failed or cancelled job back on its queue with its attempts reset.
    /// KEYS: job, failed, waiting, signal, errors. Returns 1, or 0 when it is in another state.
    static let retry = RedisScript(
        now + """

        local state = redis.call('HGET', KEYS[1], 'state')
        if state ~= 'failed' and state ~= 'cancelled' then return 0 end
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('PERSIST', KEYS[1])
        redis.call('PERSIST', KEYS[5])
        redis.call('HDEL', KEYS[1], 'finished_at', 'cancel', 'error')
        redis.call('HSET', KEYS[1], 'state', 'waiting', 'attempts', 0, 'run_at', now)
        redis.call('LPUSH', KEYS[3], ARGV[1])
        redis.call('LPUSH', KEYS[4], '1')
        redis.call('LTRIM', KEYS[4], 0, 0)
        return 1
        """)

    /// Deletes a job that is not active. KEYS: job, errors, waiting, delayed, completed, failed.
    /// Returns 1, 0 when there is no such job, -1 when it is active.
    static let delete = RedisScript(
        """
        local state = redis.call('HGET', KEYS[1], 'state')
        if not state then return 0 end
        if state == 'active' then return -1 end
        redis.call('LREM', KEYS[3], 1, ARGV[1])
        redis.call('ZREM', KEYS[4], ARGV[1])
        redis.call('ZREM', KEYS[5], ARGV[1])
        redis.call('ZREM', KEYS[6], ARGV[1])
        redis.call('DEL', KEYS[1], KEYS[2])
        return 1
        """)
}
