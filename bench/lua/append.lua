-- wrk script: POST pre-signed hashedrekord proposals (one per line of BODIES_FILE, each sent
-- once; threads take disjoint lines) and count durable appends (201) apart from refused ones.
local threads = {}
local nthreads = 0

function setup(thread)
  thread:set("id", nthreads)
  nthreads = nthreads + 1
  table.insert(threads, thread)
end

function init(args)
  local file = os.getenv("BODIES_FILE")
  local total = tonumber(os.getenv("WRK_THREADS") or "1")
  bodies = {}
  local n = 0
  for line in io.lines(file) do
    if n % total == id then bodies[#bodies + 1] = line end
    n = n + 1
  end
  i = 0
  exhausted = 0
  headers = { ["Content-Type"] = "application/json" }
end

function request()
  i = i + 1
  if i > #bodies then
    -- Out of fresh proposals: ask for the log info instead of re-sending a duplicate.
    exhausted = exhausted + 1
    return wrk.format("GET", "/api/v1/log")
  end
  return wrk.format("POST", "/api/v1/log/entries", headers, bodies[i])
end

function done(summary, latency, requests)
  local x = 0
  for _, t in ipairs(threads) do
    x = x + t:get("exhausted")
  end
  -- Every POST carries a distinct entry, so every 2xx answer to one is a 201; the refused
  -- (4xx/5xx) are counted by wrk itself. (No response() hook: it makes wrk parse every answer
  -- in Lua, which took CPU from the server it measures.)
  local o = summary.errors.status
  local c = summary.requests - o - x
  local secs = summary.duration / 1e6
  io.write(string.format("| %d | %.2f | %.0f | %.1f | %.1f | %.1f | %d |\n",
    c, secs, c / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, o - x))
  if x > 0 then io.write(string.format("(ran out of proposals: %d requests were GET /api/v1/log)\n", x)) end
end
