-- `make bench-scale`: reports anywhere on the generated map (busy districts more often), routed
-- by the real boundaries, as an app sends them. The client key comes from CLIENT_KEY.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("CLIENT_KEY")
setup = function(thread) thread:set("seed", math.random(1, 1000000000)) end
init = function() math.randomseed(seed) end
local n = 0
request = function()
  n = n + 1
  local cell = (math.floor(380 * math.random() ^ 2.2) * 151) % 380
  local i, j = math.floor(cell / 19), cell % 19
  local lon, lat = -6 + 0.4 * (i + 0.1 + 0.8 * math.random()), 50 + 0.3 * (j + 0.1 + 0.8 * math.random())
  local body = string.format('{"category":"fly_tipping","location":{"lat":%.5f,"lon":%.5f},"description":"Bags dumped by the gate, number %d","reporter":{"name":"Bench Tester","email":"bench@example.org"}}', lat, lon, n)
  return wrk.format(nil, "/v1/reports", nil, body)
end
