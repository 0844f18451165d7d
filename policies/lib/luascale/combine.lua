-- luascale.combine — one policy out of several:
--   local P, combine = require "luascale.policies", require "luascale.combine"
--   return combine.max{ P.hpa{...}, P.queue{...}, P.scheduled{...} }
--
-- combine.max{...}       the largest proposal (what HPA does across metrics)
-- combine.min{...}       the smallest proposal
-- combine.priority{...}  the first child that does not hold
-- Children are policy tables {params, decide[, bounds]} (from luascale.policies or any policy
-- file's returned table) or plain functions decide(ctx). A list or a name-keyed table; each
-- child keeps its own ctx.state[name] (name = its key, else its policy name, else its index)
-- and its own params; config params given under a child's name replace that child's params.
-- Children holding are ignored; when all hold, the combination holds. Children with `bounds`
-- (scheduled) do not propose: their floor (min), ceiling (max) or exact count applies to the
-- combined proposal (an exact count wins over everything; with nothing proposed, floors and
-- ceilings clamp the current count). Replicas and nodes combine separately.
local M = {}

local function child_list(children)
  local list, used = {}, {}
  local function add(key, c)
    if type(c) == "function" then
      local fn = c
      c = { decide = function(ctx) return fn(ctx) end }
    end
    if type(c) ~= "table" or (type(c.decide) ~= "function" and type(c.bounds) ~= "function") then
      error("luascale.combine: child '" .. tostring(key) .. "' is not a policy table or function", 3)
    end
    local name = type(key) == "string" and key or c.name or tostring(key)
    if used[name] then name = name .. "_" .. tostring(key) end
    used[name] = true
    list[#list + 1] = { name = name, policy = c }
  end
  for i, c in ipairs(children) do add(i, c) end
  local keys = {}
  for k in pairs(children) do
    if type(k) == "string" then keys[#keys + 1] = k end
  end
  table.sort(keys)
  for _, k in ipairs(keys) do add(k, children[k]) end
  if #list == 0 then error("luascale.combine: no policies given", 3) end
  return list
end

-- A ctx view for one child: its own state table, everything else from the parent.
local function child_ctx(ctx, name)
  local st = ctx.state[name]
  if type(st) ~= "table" then
    st = {}
    ctx.state[name] = st
  end
  return setmetatable({ state = st }, { __index = ctx })
end

local function pick(mode, a, b)
  if a == nil then return b end
  if b == nil then return a end
  if mode == "min" then return math.min(a, b) end
  return math.max(a, b)
end

local function make(mode, children)
  local list = child_list(children)
  local params = {}
  for _, c in ipairs(list) do params[c.name] = c.policy.params or {} end

  local function decide(ctx, p)
    local rep, nodes, why_r, why_n
    local lo, hi, exact, bounds_why = nil, nil, nil, {}
    for _, c in ipairs(list) do
      local cp = (p and type(p[c.name]) == "table") and p[c.name] or c.policy.params or {}
      local cctx = child_ctx(ctx, c.name)
      if c.policy.bounds then
        local b = c.policy.bounds(cctx, cp)
        if b then
          if b.replicas and exact == nil then exact = b.replicas end
          if b.min then lo = math.max(lo or b.min, b.min) end
          if b.max then hi = math.min(hi or b.max, b.max) end
          if b.reason then bounds_why[#bounds_why + 1] = c.name .. ": " .. b.reason end
        end
      else
        local d = c.policy.decide(cctx, cp)
        if d ~= nil then
          if type(d) ~= "table" then error("policy '" .. c.name .. "' returned a " .. type(d)) end
          local first = (mode == "priority")
          if d.replicas ~= nil and not (first and rep ~= nil) then
            local r = pick(mode, rep, d.replicas)
            if r ~= rep then rep, why_r = r, c.name .. ": " .. (d.reason or "") end
          end
          if d.nodes ~= nil and not (first and nodes ~= nil) then
            local n = pick(mode, nodes, d.nodes)
            if n ~= nodes then nodes, why_n = n, c.name .. ": " .. (d.reason or "") end
          end
        end
      end
    end
    local reason = why_r or why_n
    if why_r and why_n and why_r ~= why_n then reason = why_r .. "; " .. why_n end
    if exact ~= nil then
      rep, reason = exact, nil
    elseif lo ~= nil or hi ~= nil then
      local base = rep or ctx.target.replicas
      local clamped = base
      if lo and clamped < lo then clamped = lo end
      if hi and clamped > hi then clamped = hi end
      if rep == nil and clamped == base then
        -- Only bounds, and they do not move the count: keep holding (nodes may still move).
      else
        if clamped ~= base then reason = nil end
        rep = clamped
      end
    end
    if #bounds_why > 0 and (reason == nil) then
      reason = table.concat(bounds_why, "; ")
    end
    if rep == nil and nodes == nil then return nil end
    return { replicas = rep, nodes = nodes, reason = reason }
  end

  return { name = "combine." .. mode, params = params, decide = decide }
end

function M.max(children) return make("max", children) end
function M.min(children) return make("min", children) end
function M.priority(children) return make("priority", children) end

return M
