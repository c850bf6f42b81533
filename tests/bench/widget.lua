-- wrk script: GET /api/widget/v1/me (and the points preview) as signed-in shoppers of one program, a different
-- shopper on each request, in turn from the first half of BENCH_SHOPPERS_FILE (customer id + digest a line; the
-- second half is browse.lua's, whose shoppers' first views must be theirs).
local program = os.getenv("BENCH_PUBLIC_KEY")
local shoppers = {}
for line in io.lines(os.getenv("BENCH_SHOPPERS_FILE")) do
  local customer, digest = line:match("^(%S+)%s+(%S+)$")
  if customer then table.insert(shoppers, { customer, digest }) end
end
local first_half = math.max(math.floor(#shoppers / 2), 1)
local counter = 0

function request()
  counter = counter + 1
  local shopper = shoppers[(counter % first_half) + 1]
  return wrk.format("GET", nil, {
    ["X-Loyalty-Program"] = program,
    ["X-Loyalty-Customer"] = shopper[1],
    ["X-Loyalty-Digest"] = shopper[2],
  })
end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")  -- done(): the BENCH_JSON line
