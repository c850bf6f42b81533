-- wrk script for `make bench`: POSTs an order body with a new order id on every request.
-- Customers come from the pre-created pool (existing members) or, for BENCH_NEW_SHARE of the orders,
-- are brand new (the order creates the member). Prints one BENCH_JSON line with the results.
local threads = {}
local pool = tonumber(os.getenv("BENCH_CUSTOMERS") or "1000")
local new_share = tonumber(os.getenv("BENCH_NEW_SHARE") or "0.2")
local run_id = os.getenv("BENCH_RUN_ID") or "run"
local api_key = os.getenv("BENCH_API_KEY")
local counter = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  math.randomseed(os.time() + 7919 * thread_id)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if api_key then
    wrk.headers["Authorization"] = "Bearer " .. api_key
  end
end

function request()
  counter = counter + 1
  local order_id = string.format("%s-%d-%d", run_id, thread_id, counter)
  local customer_id
  if math.random() < new_share then
    customer_id = "new-" .. order_id
  else
    customer_id = string.format("bench-c-%d", math.random(0, pool - 1))
  end
  local body = string.format(
    '{"order_id":"%s","customer_id":"%s","email":"%s@example.com","subtotal":"%d.%02d","currency":"USD"}',
    order_id, customer_id, customer_id, math.random(5, 250), math.random(0, 99)
  )
  return wrk.format(nil, nil, nil, body)
end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")  -- done(): the BENCH_JSON line
