-- luascale.policy.scheduled — cron schedules in an IANA zone (see policies/scheduled.lua).
local cron = require "luascale.cron"

local M = {}

M.defaults = {
  zone = "UTC",      -- default IANA zone of every entry
  windows = {},      -- { {start=cron, stop=cron | duration=secs|"10h", min=|max=|replicas=} }
  actions = {},      -- { {at=cron, replicas=|min=|max=} }  (AWS scheduled actions)
  default = nil,     -- count when nothing applies (nil = hold)
}

local function seconds(d, what)
  if type(d) == "number" then return d end
  if type(d) == "string" then
    local n, u = d:match("^(%d+%.?%d*)([smhd]?)$")
    local f = { [""] = 1, s = 1, m = 60, h = 3600, d = 86400 }
    if n then return tonumber(n) * f[u] end
  end
  error(what .. ": expected seconds or a duration like \"10h\"", 0)
end

-- cron.prev with a cache in ctx.state.cron[key]: the answer holds until the next firing, so most
-- evaluations cost no calendar search.
local function cached_prev(st, key, expr, now, zone)
  st.cron = st.cron or {}
  local c = st.cron[key]
  if c and c.expr == expr and c.zone == zone and now >= c.from and now < c.next then
    return c.prev
  end
  local prev, nxt = cron.prev(expr, now, zone), cron.next(expr, now, zone)
  st.cron[key] = { expr = expr, zone = zone, from = now, prev = prev, next = nxt or now + 86400 }
  return prev
end

-- Is window w (number i) active at `now`? Returns true + since (unix) when active.
local function window_active(st, i, w, now, zone)
  local start = cached_prev(st, "w" .. i, w.start, now, w.zone or zone)
  if not start then return false end
  if w.duration then
    local len = seconds(w.duration, "window duration")
    return now < start + len, start
  end
  assert(w.stop, "a window needs stop=cron or duration")
  local stop = cached_prev(st, "s" .. i, w.stop, now, w.zone or zone)
  return stop == nil or stop < start, start
end

-- bounds(ctx, p) -> { min=, max=, replicas=, reason= } or nil when nothing applies.
function M.bounds(ctx, p)
  local now, zone = ctx.now, p.zone or "UTC"
  local b, reasons = {}, {}
  for i, w in ipairs(p.windows or {}) do
    local on = window_active(ctx.state, i, w, now, zone)
    if on then
      local name = w.name or ("window " .. i)
      if w.replicas and b.replicas == nil then b.replicas = w.replicas end
      if w.min then b.min = math.max(b.min or w.min, w.min) end
      if w.max then b.max = math.min(b.max or w.max, w.max) end
      reasons[#reasons + 1] = name .. " (" .. w.start .. ")"
    end
  end
  -- Actions: the most recent firing of each field's actions is in force; `replicas` applies only
  -- on the first evaluation after it fired (AWS sets the desired capacity once).
  local last_eval = ctx.state.last_eval
  local latest = {}
  for i, a in ipairs(p.actions or {}) do
    local t = cached_prev(ctx.state, "a" .. i, a.at, now, a.zone or zone)
    if t then
      for _, f in ipairs({ "min", "max", "replicas" }) do
        if a[f] ~= nil and (latest[f] == nil or t > latest[f].t) then
          latest[f] = { t = t, v = a[f], name = a.name or ("action " .. i), at = a.at }
        end
      end
    end
  end
  if latest.min then b.min = math.max(b.min or latest.min.v, latest.min.v) end
  if latest.max then b.max = math.min(b.max or latest.max.v, latest.max.v) end
  local fired = latest.replicas and (last_eval and latest.replicas.t > last_eval or
    (not last_eval and now - latest.replicas.t < (ctx.interval or 15)))
  if fired and b.replicas == nil then
    b.replicas = latest.replicas.v
    reasons[#reasons + 1] = latest.replicas.name .. " (" .. latest.replicas.at .. ") fired"
  end
  ctx.state.last_eval = now
  if b.min == nil and b.max == nil and b.replicas == nil then return nil end
  b.reason = "schedule: " .. (#reasons > 0 and table.concat(reasons, ", ") or "bounds in force")
  return b
end

function M.decide(ctx, p)
  local b = M.bounds(ctx, p)
  local current = ctx.target.replicas
  if not b then
    if p.default ~= nil then return { replicas = p.default, reason = "schedule: default" } end
    return nil
  end
  if b.replicas then return { replicas = b.replicas, reason = b.reason } end
  local n = current
  if b.min and n < b.min then n = b.min end
  if b.max and n > b.max then n = b.max end
  if n == current and p.default == nil then return nil end
  return { replicas = n, reason = b.reason }
end

return M
