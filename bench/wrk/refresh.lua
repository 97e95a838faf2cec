-- wrk script of the refresh row (bench/run.sh): POST /auth/refresh where every request presents
-- the refresh token of the previous response of the same chain, as a client must (a rotated-out
-- token comes back as reuse and revokes all the user's sessions).
--
-- Input, from the environment:
--   PORTCULLIS_BENCH_TOKENS       a file with one refresh token per line, each of its own session:
--                                 one per connection plus one per thread (see below)
--   PORTCULLIS_BENCH_WRK_THREADS  wrk's -t: thread i takes the lines i, i + T, i + 2T, ...
--
-- wrk does not tell a script which connection a request goes out on, so each thread keeps a FIFO
-- of the tokens it may use: request() pops one, response() pushes the token of a 200 answer.
-- A connection sends its next request only after its answer, so with at least as many tokens as
-- connections the FIFO is never empty while every chain holds. A thread gets one token more than
-- it has connections: wrk calls request() once on the first thread before the run to check the
-- request (wrk 4.1, script_verify_request) and never sends that one, so its token is lost (its
-- session is simply never used again); a spare token on the other threads just waits its turn.
-- A broken chain (non-200, or a 200 without a token) loses its token; when the FIFO is then empty
-- a request goes out with a dummy token and gets a 401, so the breakage shows in wrk's
-- "Non-2xx or 3xx responses" too. done() prints "refresh-chain:" lines with the totals and each
-- thread's first failure.

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
first_failure = ""  -- status and body of this thread's first non-200 (the cause of a broken chain)

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
        if first_failure == "" then
            first_failure = status .. " " .. string.sub(body or "", 1, 200)
        end
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
    local failures = {}
    for _, thread in ipairs(threads) do
        for key, _ in pairs(totals) do
            totals[key] = totals[key] + (thread:get(key) or 0)
        end
        local first = thread:get("first_failure")
        if first ~= nil and first ~= "" then
            table.insert(failures, first)
        end
    end
    io.write(string.format(
        "refresh-chain: tokens=%d ok=%d non200=%d no_token=%d starved=%d\n",
        totals.loaded, totals.ok, totals.failed, totals.missing, totals.starved))
    for _, failure in ipairs(failures) do
        io.write("refresh-chain: first failure of a thread: " .. failure .. "\n")
    end
end
