-- wrk script for the widget bench: GET /api/widget/v1/me as signed-in shoppers of one program, a different
-- shopper (customer id + digest, one pair per line of BENCH_SHOPPERS_FILE) on each request.
local program = os.getenv("BENCH_PUBLIC_KEY")
local shoppers = {}
for line in io.lines(os.getenv("BENCH_SHOPPERS_FILE")) do
  local customer, digest = line:match("^(%S+)%s+(%S+)$")
  if customer then table.insert(shoppers, { customer, digest }) end
end
local counter = 0

function request()
  counter = counter + 1
  local shopper = shoppers[(counter % #shoppers) + 1]
  return wrk.format("GET", nil, {
    ["X-Loyalty-Program"] = program,
    ["X-Loyalty-Customer"] = shopper[1],
    ["X-Loyalty-Digest"] = shopper[2],
  })
end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")  -- done(): the BENCH_JSON line
