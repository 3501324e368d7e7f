-- wrk script: one reading a request (POST /api/v1/rooms/{room}/readings), each its own timestamp.
-- Every wrk thread writes its own room, one millisecond apart, so no request is a duplicate.
-- Usage: wrk -s single_reading.lua URL -- BASE_EPOCH_MS ROOM_PREFIX

local threads_made = 0

function setup(thread)
  threads_made = threads_made + 1
  thread:set("thread_number", threads_made)
end

local base_ms = 0
local room = "single"
local sent = 0

function init(args)
  base_ms = tonumber(args[1])
  room = args[2] .. "-" .. thread_number
  wrk.method = "POST"
  wrk.path = "/api/v1/rooms/" .. room .. "/readings"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  sent = sent + 1
  local ms = base_ms + sent
  local body = string.format(
    '{"value": %.2f, "timestamp": %d.%03d}', 18 + (sent % 500) / 100, math.floor(ms / 1000), ms % 1000
  )
  return wrk.format(nil, nil, nil, body)
end
