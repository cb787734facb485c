-- wrk script: cancel orders one by one (DELETE /v1/resources/orders/{id}), walking the ids a
-- reserve run wrote to BENCH_IDS. Run with -t1, so each order is cancelled exactly once. wrk
-- divides by the whole -d duration, so the runner gives this run fewer seconds than the reserve
-- run had and marks the figure a lower bound if the ids still ran out (the thread stops then).
local key = os.getenv("KASSA_KEY")
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local next_id = 0

request = function()
  next_id = next_id + 1
  if next_id > #ids then
    wrk.thread:stop()
    next_id = #ids
  end
  return wrk.format("DELETE", "/v1/resources/orders/" .. ids[next_id],
    {["Authorization"] = "key " .. key})
end
