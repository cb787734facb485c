-- wrk script: reserve one random ticket per request (POST /v1/resources/orders).
-- Env: KASSA_KEY (a seller's API key), BENCH_EVENT, BENCH_SET, BENCH_IDS (file that
-- collects the ids of the created orders, for the cancel run that follows).
local key = os.getenv("KASSA_KEY")
local body = string.format('{"event":"%s","random":{"%s":1}}',
  os.getenv("BENCH_EVENT"), os.getenv("BENCH_SET"))
local ids = io.open(os.getenv("BENCH_IDS"), "a")
ids:setvbuf("line")

request = function()
  return wrk.format("POST", "/v1/resources/orders",
    {["Content-Type"] = "application/json", ["Authorization"] = "key " .. key}, body)
end

response = function(status, headers, body)
  if status == 201 then
    local id = string.match(body, '"id":"(%x+)"')
    if id then ids:write(id, "\n") end
  end
end
