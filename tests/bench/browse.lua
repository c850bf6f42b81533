-- wrk script: GET /api/widget/v1/me as storefronts ask it, for signed-in shoppers browsing a shop. BENCH_ACTIVE
-- shoppers browse at once, taking turns (a shopper's next page comes BENCH_ACTIVE requests after their last one,
-- so it is answered by then); each views BENCH_PAGES pages and is then replaced by a shopper not seen before in
-- this run (their first view builds their answer, the next ones may reuse it). Shoppers come from the second half
-- of BENCH_SHOPPERS_FILE (customer id + digest a line; widget.lua asks the first half), from BENCH_BROWSE_OFFSET
-- on: a run goes on with the shoppers still browsing when the previous one ended (tests/bench/run.py
-- `browse_shoppers`), so that 1 request in BENCH_PAGES is a first view from a round's first request on.
local program = os.getenv("BENCH_PUBLIC_KEY")
local pages = tonumber(os.getenv("BENCH_PAGES") or "10")
local active = tonumber(os.getenv("BENCH_ACTIVE") or "40")
local offset = tonumber(os.getenv("BENCH_BROWSE_OFFSET") or "0")
local shoppers = {}
for line in io.lines(os.getenv("BENCH_SHOPPERS_FILE")) do
  local customer, digest = line:match("^(%S+)%s+(%S+)$")
  if customer then table.insert(shoppers, { customer, digest }) end
end
local first = math.floor(#shoppers / 2)
local counter = 0

function request()
  local slot, turn = counter % active, math.floor(counter / active)
  counter = counter + 1
  -- Slots are staggered (slot s starts on page s % pages), so that shoppers arrive one at a time, not in waves.
  local generation = math.floor((turn + slot % pages) / pages)
  local shopper = shoppers[first + (offset + slot + active * generation) % (#shoppers - first) + 1]
  return wrk.format("GET", nil, {
    ["X-Loyalty-Program"] = program,
    ["X-Loyalty-Customer"] = shopper[1],
    ["X-Loyalty-Digest"] = shopper[2],
  })
end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")  -- done(): the BENCH_JSON line
