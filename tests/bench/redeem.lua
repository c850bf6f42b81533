-- wrk script for `make bench`: POST /api/v1/members/{customer_id}/redemptions of the seeded 100-point reward,
-- for a different member with points on each request (one customer id per line of BENCH_REDEEMERS_FILE), with a
-- new Idempotency-Key each time, as a shop's server retrying safely would send it.
local members = {}
for line in io.lines(os.getenv("BENCH_REDEEMERS_FILE")) do
  if line ~= "" then table.insert(members, line) end
end
local body = string.format('{"reward_id":%d}', tonumber(os.getenv("BENCH_REWARD_ID")))
local run_id = os.getenv("BENCH_RUN_ID") or "run"
local counter = 0

function request()
  counter = counter + 1
  local member = members[(counter % #members) + 1]
  return wrk.format("POST", "/api/v1/members/" .. member .. "/redemptions", {
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_API_KEY"),
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = run_id .. "-" .. counter,
  }, body)
end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")  -- done(): the BENCH_JSON line
