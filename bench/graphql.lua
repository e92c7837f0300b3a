-- wrk script: POSTs one GraphQL operation (BODY env or file) and counts the
-- HTTP 200 responses that carry GraphQL errors.
local body_file = os.getenv("BODY_FILE")
local token = os.getenv("TOKEN")
local f = assert(io.open(body_file, "r"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  graphql_errors = 0
end
function response(status, headers, body)
  if status == 200 and string.find(body, '"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
  end
end
function done(summary, latency, requests)
  local errors = 0
  for _, t in ipairs(threads) do
    errors = errors + t:get("graphql_errors")
  end
  io.write(string.format("RESULT requests=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f graphql_errors=%d non2xx=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors, summary.errors.status))
end
