-- wrk script of the refresh row (bench/run.sh): POST /auth/refresh where every request presents
-- the refresh token of the previous response of the same chain, as a client must (a rotated-out
-- token comes back as reuse and revokes all the user's sessions).
--
-- Input, from the environment:
--   PORTCULLIS_BENCH_TOKENS       a file with one refresh token per line, one per connection, each
--                                 of its own session
--   PORTCULLIS_BENCH_WRK_THREADS  wrk's -t: thread i takes the lines i, i + T, i + 2T, ...
--
-- wrk does not tell a script which connection a request goes out on, so each thread keeps a FIFO
-- of the tokens it may use: request() pops one, response() pushes the token of a 200 answer.
-- A thread has as many tokens as connections and a connection sends its next request only after
-- its answer, so the FIFO is never empty while every chain holds. A broken chain (non-200, or a
-- 200 without a token) loses its token; when the FIFO is then empty a request goes out with a
-- dummy token and gets a 4xx, so the breakage shows in wrk's "Non-2xx or 3xx responses" too.
-- done() prints one "refresh-chain:" line with the totals.

local counter = 0
local threads = {}

function setup(thread)
    thread:set("index", counter)
    counter = counter + 1
    table.insert(threads, thread)
end

local queue = {}
local first, last = 1, 0
-- Thread globals, read by done() through thread:get.
ok = 0
failed = 0
missing = 0
starved = 0
loaded = 0

local function push(token)
    last = last + 1
    queue[last] = token
end

local function pop()
    if first > last then
        return nil
    end
    local token = queue[first]
    queue[first] = nil
    first = first + 1
    return token
end

function init(args)
    local path = os.getenv("PORTCULLIS_BENCH_TOKENS")
    local count = tonumber(os.getenv("PORTCULLIS_BENCH_WRK_THREADS") or "")
    if path == nil or count == nil then
        error("PORTCULLIS_BENCH_TOKENS and PORTCULLIS_BENCH_WRK_THREADS must be set")
    end
    local file = assert(io.open(path, "r"))
    local line_number = 0
    for line in file:lines() do
        if line ~= "" then
            if line_number % count == index then
                push(line)
                loaded = loaded + 1
            end
            line_number = line_number + 1
        end
    end
    file:close()
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
end

function request()
    local token = pop()
    if token == nil then
        starved = starved + 1
        token = "broken-chain-no-token-left"
    end
    return wrk.format(nil, nil, nil, '{"refreshToken":"' .. token .. '"}')
end

function response(status, headers, body)
    if status ~= 200 then
        failed = failed + 1
        return
    end
    local token = string.match(body, '"refreshToken":"([^"]+)"')
    if token == nil then
        missing = missing + 1
        return
    end
    ok = ok + 1
    push(token)
end

function done(summary, latency, requests)
    local totals = { loaded = 0, ok = 0, failed = 0, missing = 0, starved = 0 }
    for _, thread in ipairs(threads) do
        for key, _ in pairs(totals) do
            totals[key] = totals[key] + (thread:get(key) or 0)
        end
    end
    io.write(string.format(
        "refresh-chain: tokens=%d ok=%d non200=%d no_token=%d starved=%d\n",
        totals.loaded, totals.ok, totals.failed, totals.missing, totals.starved))
end
