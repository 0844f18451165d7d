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
  upcoming = nil,               -- signal: nodes requested but not ready (default: target count
                                -- minus ready count)
  max_provision_time = 900,     -- seconds a requested node may take to become ready; after that
                                -- it no longer counts as upcoming (CA's max-node-provision-time)
  groups = nil,                 -- several node groups instead of `node`: { {name=, cpu=, memory=,
                                -- pods=, price=, min=, max=}, ... } (pending pods only)
  expander = "least-waste",     -- how a scale-up picks its group: "least-waste" or "price"
}

-- Node groups: each group's count is kept in ctx.state.group_nodes (the target's count is their
-- sum); a proposal is adopted once the target shows its sum. Nodes requested but not ready are
-- the newest requests (ctx.state.booting[group] holds their request times).
local function decide_groups(ctx, p, pending)
  local t, st = ctx.target, ctx.state
  local first = p.groups[1].name
  local counts = st.group_nodes
  if counts == nil then
    counts = {}
    local left = t.replicas
    for _, g in ipairs(p.groups) do
      counts[g.name] = g.min or 0
      left = left - counts[g.name]
    end
    counts[first] = counts[first] + math.max(left, 0)
    st.group_nodes = counts
  end
  st.booting = st.booting or {}
  local proposed = st.proposed
  st.proposed = nil
  if proposed then
    local sum = 0
    for _, n in pairs(proposed.counts) do sum = sum + n end
    if sum == t.replicas then
      for name, n in pairs(proposed.counts) do
        local list = st.booting[name] or {}
        for _ = 1, n - (counts[name] or 0) do list[#list + 1] = proposed.at end
        st.booting[name] = list
        counts[name] = n
      end
    end
  end
  local sum = 0
  for _, g in ipairs(p.groups) do sum = sum + (counts[g.name] or 0) end
  if sum ~= t.replicas then  -- changed from outside (clamped, set by hand): the first group absorbs it
    local added = math.max(0, (counts[first] or 0) + t.replicas - sum) - (counts[first] or 0)
    counts[first] = (counts[first] or 0) + added
    local list = st.booting[first] or {}
    for _ = 1, added do list[#list + 1] = ctx.now end
    st.booting[first] = list
  end
  -- Nodes on the way: the newest requests, as many as the target has not ready.
  local entries = {}
  for name, list in pairs(st.booting) do
    for _, at in ipairs(list) do entries[#entries + 1] = { name = name, at = at } end
  end
  table.sort(entries, function(a, b)
    if a.at ~= b.at then return a.at > b.at end
    return a.name < b.name
  end)
  local keep = math.max(0, t.replicas - (t.ready or t.replicas))
  local booting, live, stuck = {}, {}, 0
  for i = 1, math.min(keep, #entries) do
    local e = entries[i]
    booting[e.name] = booting[e.name] or {}
    table.insert(booting[e.name], 1, e.at)
    if ctx.now - e.at < (p.max_provision_time or 900) then
      live[e.name] = (live[e.name] or 0) + 1
    else
      stuck = stuck + 1
    end
  end
  st.booting = booting
  local options = {}
  for i, g in ipairs(p.groups) do
    options[i] = { name = g.name, cpu = g.cpu, memory = g.memory, pods = g.pods, price = g.price,
                   min = g.min, max = g.max, current = counts[g.name] or 0, upcoming = live[g.name] or 0 }
  end
  local r, why = nodes.scale_up { groups = options, pods = pending, expander = p.expander }
  -- A group below its min is raised to it, with or without pending pods.
  local below = {}
  for _, g in ipairs(p.groups) do
    if g.min and (counts[g.name] or 0) + (r and g.name == r.group and r.add or 0) < g.min then
      below[#below + 1] = string.format("%s below its min %d", g.name, g.min)
    end
  end
  if r == nil and #below == 0 then
    ctx:log("nodes: hold: " .. why)
    return nil
  end
  local out, total = {}, 0
  for _, g in ipairs(p.groups) do
    out[g.name] = math.max((counts[g.name] or 0) + (r and g.name == r.group and r.add or 0), g.min or 0)
    total = total + out[g.name]
  end
  st.proposed = { counts = out, at = ctx.now }
  local reason
  if r then
    local waiting = r.on_upcoming > 0 and string.format("; %d pods wait for upcoming nodes", r.on_upcoming) or ""
    if stuck > 0 then waiting = waiting .. string.format("; %d not ready after %ds: not counted", stuck, p.max_provision_time or 900) end
    reason = string.format("%d pending pods need %d new %s nodes, %s%s", r.placed, r.add, r.group, r.why, waiting)
    if #below > 0 then reason = reason .. "; " .. table.concat(below, ", ") end
  else
    reason = table.concat(below, ", ")
  end
  return { nodes = total, groups = out, reason = reason }
end

-- Nodes requested but not ready yet, and how many of them are past max_provision_time. Each
-- one is remembered (ctx.state.upcoming_since) from the first evaluation that saw it; when fewer
-- are on the way, the youngest of those still within their time are taken as the ones that came
-- up (a node past its time is more likely broken than ready).
local function upcoming_nodes(ctx, p)
  local t = ctx.target
  local n
  if p.upcoming then
    n = ctx:signal(p.upcoming)
    if type(n) ~= "number" then n = 0 end
  else
    n = t.replicas - (t.ready or t.replicas)
  end
  n = math.max(0, math.floor(n))
  local since = ctx.state.upcoming_since or {}
  local limit = p.max_provision_time or 900
  while #since > n do
    local drop = 1
    for i = #since, 1, -1 do
      if ctx.now - since[i] < limit then drop = i break end
    end
    table.remove(since, drop)
  end
  while #since < n do since[#since + 1] = ctx.now end
  ctx.state.upcoming_since = since
  local live = 0
  for _, at in ipairs(since) do
    if ctx.now - at < limit then live = live + 1 end
  end
  return live, #since - live
end
M.upcoming_nodes = upcoming_nodes

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
  if p.groups then
    if pending == nil then return nil end
    return decide_groups(ctx, p, pending)
  end
  if running == nil then
    -- Only pending pods: new nodes for them, on top of the current ones (Cluster Autoscaler),
    -- after the pods the nodes already on the way will take.
    local upcoming, stuck = upcoming_nodes(ctx, p)
    local room = p.max_nodes and math.max(p.max_nodes - current, 0) or nil
    if room == 0 then
      return nil
    end
    local est = nodes.estimate { node = p.node, pods = pending, max_nodes = room, upcoming = upcoming }
    local waiting = ""
    if upcoming > 0 or stuck > 0 then
      waiting = string.format("; %d pods wait for %d upcoming nodes", est.on_upcoming, upcoming)
      if stuck > 0 then
        waiting = waiting .. string.format(" (%d not ready after %ds: not counted)", stuck,
          p.max_provision_time or 900)
      end
    end
    if est.nodes == 0 then
      if #est.too_big > 0 then ctx:log("nodes: " .. left_out(est):sub(3)) end
      if waiting ~= "" then ctx:log("nodes: hold" .. waiting) end
      return nil
    end
    local add = est.nodes
    if p.headroom and p.headroom > 0 then add = math.ceil((current + add) * (1 + p.headroom)) - current end
    local n = current + add
    if p.max_nodes then n = math.min(n, p.max_nodes) end
    return { nodes = n, reason = string.format("%d pending pods need %d new nodes%s%s%s", est.placed, est.nodes,
      est.limited and " (max_nodes reached)" or "", waiting, left_out(est)) }
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
