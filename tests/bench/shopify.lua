-- wrk script for `make bench`: Shopify `orders/paid` deliveries to POST /webhooks/shopify/{public_key}/, each with
-- its own webhook id and a valid X-Shopify-Hmac-Sha256 (signed beforehand by tests/bench/prepare.py: wrk's Lua
-- has no HMAC). Lines of BENCH_SHOPIFY_FILE: webhook id, signature, raw body, separated by tabs. Deliveries are
-- taken in turn from BENCH_SHOPIFY_OFFSET on, so each measured round sends ones no earlier round sent.
local deliveries = {}
for line in io.lines(os.getenv("BENCH_SHOPIFY_FILE")) do
  local id, signature, body = line:match("^([^\t]+)\t([^\t]+)\t(.+)$")
  if id then table.insert(deliveries, { id, signature, body }) end
end
local counter = tonumber(os.getenv("BENCH_SHOPIFY_OFFSET") or "0")

function request()
  counter = counter + 1
  local delivery = deliveries[((counter - 1) % #deliveries) + 1]
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["X-Shopify-Topic"] = "orders/paid",
    ["X-Shopify-Webhook-Id"] = delivery[1],
    ["X-Shopify-Hmac-Sha256"] = delivery[2],
    ["X-Shopify-Shop-Domain"] = "bench.myshopify.com",
  }, delivery[3])
end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")  -- done(): the BENCH_JSON line
