-- luascale.nodes — how many nodes of one template a set of pods needs, bin-packed the way the
-- Cluster Autoscaler binpacking estimator does it (resources only: CPU, memory, pod slots).
--
-- estimate{ node = {cpu=, memory=, pods=}, pods = { {cpu=, memory=, count=N, name=}, ... },
--           max_nodes = N (optional; 0 or nil = no limit),
--           upcoming = N (optional: nodes of this template requested but not ready yet) }
--   -> { nodes = N,            -- added nodes that hold at least one pod (upcoming ones excluded)
--        placed = N,           -- pods placed on added nodes
--        on_upcoming = N,      -- pods placed on the upcoming nodes
--        unplaced = N,         -- pods left out (too big for an empty node, or over max_nodes)
--        too_big = {names},    -- groups whose pod fits no empty node
--        limited = bool,       -- max_nodes stopped the estimate
--        used_cpu = x, used_memory = y }  -- requests placed on the added nodes (cores, bytes)
-- Upcoming nodes are taken first, as the Cluster Autoscaler counts "yet-to-arrive" nodes in
-- every scale-up: each pod of each group (in the order below) goes to the first upcoming node
-- it fits, and only the pods no upcoming node takes are bin-packed onto new nodes. Pending
-- pods that wait for a booting node therefore never ask for it again.
-- CPU in cores (or "500m"), memory in bytes (or "512Mi"); `count` defaults to 1; pods = 0 on
-- the node template means no pod-slot limit. Groups are ordered by (cpu/node cpu + mem/node mem)
-- descending (ties keep input order); each group first fills nodes added earlier in this
-- estimate (the last added first), then opens new nodes next-fit; a pod that does not fit an
-- empty node stops its group.
local units = require "luascale.units"

local M = {}

local function to_milli(x) return math.floor(units.cpu(x or 0) * 1000 + 0.5) end
local function to_bytes(x) return math.floor(units.memory(x or 0) + 0.5) end

-- Normalises a node template: {cpu_m, mem, pods}.
function M.template(node)
  if type(node) ~= "table" then error("nodes: node must be a table {cpu=..., memory=..., pods=...}", 2) end
  local t = { cpu = to_milli(node.cpu), mem = to_bytes(node.memory), pods = node.pods or 0 }
  if t.cpu <= 0 and t.mem <= 0 then error("nodes: the node template needs cpu or memory", 2) end
  return t
end

-- Normalises pod groups: {cpu_m, mem, count, name, index}.
function M.groups(pods)
  local out = {}
  for i, p in ipairs(pods or {}) do
    if type(p) ~= "table" then error("nodes: pod group " .. i .. " is not a table", 2) end
    local count = p.count or 1
    if count > 0 then
      out[#out + 1] = { cpu = to_milli(p.cpu), mem = to_bytes(p.memory), count = count,
                        name = p.name or ("group " .. i), index = i }
    end
  end
  return out
end

local function fits(node, g, t)
  return node.cpu + g.cpu <= t.cpu and node.mem + g.mem <= t.mem and
         (t.pods <= 0 or node.n + 1 <= t.pods)
end

local function place(node, g)
  node.cpu, node.mem, node.n = node.cpu + g.cpu, node.mem + g.mem, node.n + 1
end

function M.estimate(args)
  local t = M.template(args.node)
  local groups = M.groups(args.pods)
  local limit = args.max_nodes
  if limit ~= nil and limit <= 0 then limit = nil end
  for _, g in ipairs(groups) do
    g.score = (t.cpu > 0 and g.cpu / t.cpu or 0) + (t.mem > 0 and g.mem / t.mem or 0)
  end
  table.sort(groups, function(a, b)
    if a.score ~= b.score then return a.score > b.score end
    return a.index < b.index
  end)

  local nodes = {}          -- added nodes: {cpu, mem, n}
  local used = {}           -- indexes of nodes holding pods, most recent last
  local placed, unplaced, too_big, limited = 0, 0, {}, false
  local out_of_nodes = false
  local upcoming = {}       -- nodes on the way: {cpu, mem, n}
  for i = 1, math.max(0, math.floor(args.upcoming or 0)) do upcoming[i] = { cpu = 0, mem = 0, n = 0 } end
  local on_upcoming = 0
  for _, g in ipairs(groups) do
    local left = g.count
    -- (0) nodes on the way: first fit, in order; a pod that fits none stops its group here.
    local k = 1
    while left > 0 and k <= #upcoming do
      if fits(upcoming[k], g, t) then
        place(upcoming[k], g)
        on_upcoming, left = on_upcoming + 1, left - 1
      else
        k = k + 1
      end
    end
    -- (a) nodes added earlier in this estimate: the last one first, then the others.
    while left > 0 do
      local hit
      for k = #used, 1, -1 do
        local node = nodes[used[k]]
        if fits(node, g, t) then hit = node break end
      end
      if not hit then break end
      place(hit, g)
      placed, left = placed + 1, left - 1
    end
    -- (b) new nodes, next-fit on the last added node.
    while left > 0 do
      local last = nodes[#nodes]
      if last and fits(last, g, t) then
        if last.n == 0 then used[#used + 1] = #nodes end
        place(last, g)
        placed, left = placed + 1, left - 1
      elseif last and last.n == 0 then
        too_big[#too_big + 1] = g.name
        break
      elseif out_of_nodes or (limit and #nodes >= limit) then
        limited, out_of_nodes = true, true
        break
      else
        nodes[#nodes + 1] = { cpu = 0, mem = 0, n = 0 }
        local fresh = nodes[#nodes]
        if fits(fresh, g, t) then
          used[#used + 1] = #nodes
          place(fresh, g)
          placed, left = placed + 1, left - 1
        else
          too_big[#too_big + 1] = g.name
          break
        end
      end
    end
    unplaced = unplaced + left
  end
  local used_cpu, used_mem = 0, 0
  for _, k in ipairs(used) do used_cpu, used_mem = used_cpu + nodes[k].cpu, used_mem + nodes[k].mem end
  return { nodes = #used, placed = placed, on_upcoming = on_upcoming, unplaced = unplaced,
           too_big = too_big, limited = limited, used_cpu = used_cpu / 1000, used_memory = used_mem }
end

-- Node groups and the expander that picks one for a scale-up (the Cluster Autoscaler's
-- expanders, resources only).
--
-- scale_up{ groups = { {name=, cpu=, memory=, pods=, price=, min=, max=, current=N,
--                       upcoming=N}, ... },   -- current: the group's count, upcoming included
--           pods = {pod groups}, expander = "least-waste" | "price" }
--   -> { group = name, add = N, placed = N, on_upcoming = N, unplaced = N, why = "...",
--        options = { {group=, add=, placed=, waste=, price_per_pod=}, ... } }
--      or nil, why (no group can take a pending pod)
-- First the pods every group's upcoming nodes take are set aside (CA counts yet-to-arrive nodes
-- of all groups). Then each group with room (no max = no limit) is an
-- option: the nodes of its template the rest of the pods need (room: max - current). The expander picks one:
--   least-waste  the least unused share of the new nodes' CPU plus memory (CA's leastwaste);
--   price        the lowest price of the new nodes per pod they place (needs each price).
-- Ties go to the option placing more pods, then the cheaper (least waste for price), then the
-- group listed first.
local function ordered(t, gs)
  for _, g in ipairs(gs) do
    g.score = (t.cpu > 0 and g.cpu / t.cpu or 0) + (t.mem > 0 and g.mem / t.mem or 0)
  end
  table.sort(gs, function(a, b)
    if a.score ~= b.score then return a.score > b.score end
    return a.index < b.index
  end)
  return gs
end

-- Places pods (normalised groups, counts reduced in place) first fit on `n` empty template
-- nodes; returns the pods placed.
local function fill_upcoming(t, gs, n)
  local nodes, placed = {}, 0
  for i = 1, n do nodes[i] = { cpu = 0, mem = 0, n = 0 } end
  for _, g in ipairs(ordered(t, gs)) do
    local k = 1
    while g.count > 0 and k <= #nodes do
      if fits(nodes[k], g, t) then
        place(nodes[k], g)
        g.count, placed = g.count - 1, placed + 1
      else
        k = k + 1
      end
    end
  end
  return placed
end

-- The pod groups back in estimate()'s input form (CPU in cores, memory in bytes).
local function as_pods(gs)
  local out = {}
  for _, g in ipairs(gs) do
    if g.count > 0 then
      out[#out + 1] = { cpu = g.cpu / 1000, memory = g.mem, count = g.count, name = g.name }
    end
  end
  return out
end

function M.scale_up(args)
  local groups = args.groups
  if type(groups) ~= "table" or #groups == 0 then
    error("nodes: groups must be a list of {name=, cpu=, memory=, pods=, price=, min=, max=}", 2)
  end
  local expander = args.expander or "least-waste"
  if expander ~= "least-waste" and expander ~= "price" then
    error("nodes: expander must be \"least-waste\" or \"price\"", 2)
  end
  local pods = M.groups(args.pods)
  local on_upcoming = 0
  for _, g in ipairs(groups) do
    if (g.upcoming or 0) > 0 then
      on_upcoming = on_upcoming + fill_upcoming(M.template(g), pods, math.floor(g.upcoming))
    end
  end
  local rest = as_pods(pods)
  local total_rest = 0
  for _, p in ipairs(rest) do total_rest = total_rest + p.count end
  local options, best = {}, nil
  for i, g in ipairs(groups) do
    if expander == "price" and type(g.price) ~= "number" then
      error("nodes: expander price: group " .. tostring(g.name or i) .. " has no price", 2)
    end
    local room = g.max and (g.max - (g.current or 0)) or nil
    if total_rest > 0 and (room == nil or room > 0) then
      local t = M.template(g)
      local est = M.estimate { node = g, pods = rest, max_nodes = room }
      if est.nodes > 0 then
        -- The new nodes' unused share of CPU and of memory (CA's least-waste score).
        local used_cpu, used_mem = est.used_cpu * 1000, est.used_memory
        local waste = 0
        if t.cpu > 0 then waste = waste + (est.nodes * t.cpu - used_cpu) / (est.nodes * t.cpu) end
        if t.mem > 0 then waste = waste + (est.nodes * t.mem - used_mem) / (est.nodes * t.mem) end
        local opt = { group = g.name or ("group " .. i), index = i, add = est.nodes,
                      placed = est.placed, waste = waste, limited = est.limited,
                      price_per_pod = g.price and g.price * est.nodes / est.placed or nil }
        options[#options + 1] = opt
        local better
        if best == nil then
          better = true
        elseif expander == "price" then
          if opt.price_per_pod ~= best.price_per_pod then better = opt.price_per_pod < best.price_per_pod
          elseif opt.placed ~= best.placed then better = opt.placed > best.placed
          else better = opt.waste < best.waste end
        else
          if math.abs(opt.waste - best.waste) > 1e-12 then better = opt.waste < best.waste
          elseif opt.placed ~= best.placed then better = opt.placed > best.placed
          else better = (opt.price_per_pod or 0) < (best.price_per_pod or 0) end
        end
        if better then best = opt end
      end
    end
  end
  if best == nil then
    if total_rest == 0 then return nil, string.format("%d pods wait for upcoming nodes", on_upcoming) end
    return nil, "no group has room for a pending pod"
  end
  local why
  if expander == "price" then
    why = string.format("price: %.4g per pod", best.price_per_pod)
  else
    why = string.format("least-waste: %.1f%% unused", best.waste * 50)
  end
  if #options > 1 then
    local others = {}
    for _, o in ipairs(options) do
      if o ~= best then
        others[#others + 1] = expander == "price" and string.format("%s %.4g", o.group, o.price_per_pod)
          or string.format("%s %.1f%%", o.group, o.waste * 50)
      end
    end
    why = why .. " (vs " .. table.concat(others, ", ") .. ")"
  end
  return { group = best.group, add = best.add, placed = best.placed, on_upcoming = on_upcoming,
           unplaced = total_rest - best.placed, limited = best.limited, why = why, options = options }
end

-- The removed sum-based lower bound: max over resources of ceil(total request / capacity).
function M.fluid(args)
  local t = M.template(args.node)
  local cpu, mem, n = 0, 0, 0
  for _, g in ipairs(M.groups(args.pods)) do
    cpu, mem, n = cpu + g.cpu * g.count, mem + g.mem * g.count, n + g.count
  end
  local need = 0
  if t.cpu > 0 then need = math.max(need, math.ceil(cpu / t.cpu)) end
  if t.mem > 0 then need = math.max(need, math.ceil(mem / t.mem)) end
  if t.pods > 0 then need = math.max(need, math.ceil(n / t.pods)) end
  return need, { cpu = cpu / 1000, memory = mem, pods = n }
end

-- Requested share of `nodes` template nodes: max of CPU and memory fractions (0..).
function M.utilization(args)
  local _, totals = M.fluid(args)
  local t = M.template(args.node)
  local n = args.nodes or 1
  if n <= 0 then return math.huge end
  local u = 0
  if t.cpu > 0 then u = math.max(u, totals.cpu * 1000 / (t.cpu * n)) end
  if t.mem > 0 then u = math.max(u, totals.memory / (t.mem * n)) end
  return u
end

return M
