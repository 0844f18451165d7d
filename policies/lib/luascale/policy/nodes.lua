-- luascale.policy.nodes — node-group sizing by bin-packing (see policies/nodes.lua for params).
local nodes = require "luascale.nodes"

local M = {}

M.defaults = {
  node = { cpu = 4, memory = "16Gi", pods = 110 },  -- allocatable of one node
  pending = "pending",          -- signal: list of {cpu=, memory=, count=, name=} not yet placed
  running = "running",          -- signal (optional): pods already running on the group
  headroom = 0,                 -- extra fraction of nodes on top of the bin-packed count
  max_nodes = nil,              -- never propose more nodes than this
  scale_down_utilization = 0.5, -- scale down only when requested/allocatable stays below this
  scale_down_window = 600,      -- ... for this many seconds
}

local function concat(a, b)
  local out = {}
  for _, x in ipairs(a or {}) do out[#out + 1] = x end
  for _, x in ipairs(b or {}) do out[#out + 1] = x end
  return out
end

local function left_out(est)
  if #est.too_big == 0 then return "" end
  return "; fits no empty node (left out): " .. table.concat(est.too_big, ", ")
end

function M.decide(ctx, p)
  local pending = ctx:signal(p.pending)
  local running = p.running and ctx:signal(p.running) or nil
  if pending == nil and running == nil then return nil end
  local current = ctx.target.replicas
  local st = ctx.state
  if running == nil then
    -- Only pending pods: new nodes for them, on top of the current ones (Cluster Autoscaler).
    local room = p.max_nodes and math.max(p.max_nodes - current, 0) or nil
    if room == 0 then
      return nil
    end
    local est = nodes.estimate { node = p.node, pods = pending, max_nodes = room }
    if est.nodes == 0 then
      if #est.too_big > 0 then ctx:log("nodes: " .. left_out(est):sub(3)) end
      return nil
    end
    local add = est.nodes
    if p.headroom and p.headroom > 0 then add = math.ceil((current + add) * (1 + p.headroom)) - current end
    local n = current + add
    if p.max_nodes then n = math.min(n, p.max_nodes) end
    return { nodes = n, reason = string.format("%d pending pods need %d new nodes%s%s", est.placed, est.nodes,
      est.limited and " (max_nodes reached)" or "", left_out(est)) }
  end

  local all = concat(running, pending)
  local est = nodes.estimate { node = p.node, pods = all, max_nodes = p.max_nodes }
  local needed = est.nodes
  if p.headroom and p.headroom > 0 then needed = math.ceil(needed * (1 + p.headroom)) end
  if p.max_nodes then needed = math.min(needed, p.max_nodes) end
  local why = string.format("%d pods bin-pack onto %d nodes%s%s", est.placed, est.nodes,
    (p.headroom or 0) > 0 and string.format(" (+%g%% headroom -> %d)", p.headroom * 100, needed) or "",
    left_out(est))
  if needed > current then
    st.low_since = nil
    return { nodes = needed, reason = why }
  end
  local util = nodes.utilization { node = p.node, pods = all, nodes = current }
  if needed == current or util >= p.scale_down_utilization then
    st.low_since = nil
    return nil
  end
  st.low_since = st.low_since or ctx.now
  if ctx.now - st.low_since < p.scale_down_window then
    return nil
  end
  return { nodes = needed, reason = string.format("%s; utilization %.0f%% < %.0f%% for %ds", why, util * 100,
    p.scale_down_utilization * 100, math.floor(ctx.now - st.low_since)) }
end

return M
