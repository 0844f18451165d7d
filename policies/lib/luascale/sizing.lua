-- luascale.sizing — the capacity formulas deployment sizing guides use, as plain functions.
-- Every function returns a count (integer, rounded up) and the unrounded figure.
local units = require "luascale.units"

local M = {}

local function positive(x, what)
  if type(x) ~= "number" or x <= 0 then error("sizing: " .. what .. " must be a number > 0", 3) end
  return x
end

-- pods_for_rate{ rate = req/s, per_pod = req/s one pod serves, buffer = 1.0 }
--   = ceil(rate / per_pod * buffer).   100 req/s at 20 per pod with buffer 1.5 -> 8.
function M.pods_for_rate(a)
  local raw = (a.rate or 0) / positive(a.per_pod, "per_pod") * (a.buffer or 1)
  return math.ceil(raw - 1e-9), raw
end

-- workers{ rate = arrivals/s, latency = seconds per request, per_worker = concurrent requests
--   one worker holds (1) } = ceil(rate * latency / per_worker)   (Little's law: L = lambda * W).
function M.workers(a)
  local raw = (a.rate or 0) * positive(a.latency, "latency") / (a.per_worker or 1)
  return math.ceil(raw - 1e-9), raw
end

-- instances{ workers = N, per_instance = workers per instance } = ceil(workers / per_instance).
function M.instances(a)
  local raw = (a.workers or 0) / positive(a.per_instance, "per_instance")
  return math.ceil(raw - 1e-9), raw
end

-- rate_from_users{ users = N, per_user = requests per `period` seconds (60) } -> req/s (float).
function M.rate_from_users(a)
  return (a.users or 0) * (a.per_user or 0) / (a.period or 60)
end

-- replica_range{ rate =, per_pod =, headroom = 0.3, burst = 3 } -> min, max:
--   min = ceil(rate / per_pod * (1 + headroom)), max = min * burst.
function M.replica_range(a)
  local base = (a.rate or 0) / positive(a.per_pod, "per_pod")
  local min = math.max(1, math.ceil(base * (1 + (a.headroom or 0)) - 1e-9))
  return min, math.ceil(min * (a.burst or 1) - 1e-9)
end

-- nodes_for_requests{ node = {cpu=, memory=}, pods = { {cpu=, memory=, count=}, ... },
--   overhead = 0 } -> ceil(max over CPU and memory of total request / allocatable), the fluid
--   estimate (no fragmentation; a lower bound of the bin-packed count from luascale.nodes).
function M.nodes_for_requests(a)
  local node = a.node or {}
  local cpu, mem = 0, 0
  for _, p in ipairs(a.pods or {}) do
    local n = p.count or 1
    cpu = cpu + units.cpu(p.cpu or 0) * n
    mem = mem + units.memory(p.memory or 0) * n
  end
  local f = 1 + (a.overhead or 0)
  local raw = 0
  if node.cpu then raw = math.max(raw, cpu * f / units.cpu(node.cpu)) end
  if node.memory then raw = math.max(raw, mem * f / units.memory(node.memory)) end
  return math.ceil(raw - 1e-9), raw, { cpu = cpu, memory = mem }
end

return M
