-- wrk script for bench/portal_load.py: GET /portal/message, each request with the next of the
-- session cookies in sessions.txt (one per line), so that the connections read as many sessions.
local cookies = {}
for line in io.lines("sessions.txt") do cookies[#cookies + 1] = line end
local n = 0
request = function()
  n = n % #cookies + 1
  return wrk.format("GET", "/portal/message", { ["Cookie"] = cookies[n] })
end
