-- luascale.nodes — how many nodes of one template a set of pods needs, bin-packed the way the
-- Cluster Autoscaler binpacking estimator does it (resources only: CPU, memory, pod slots).
--
-- estimate{ node = {cpu=, memory=, pods=}, pods = { {cpu=, memory=, count=N, name=}, ... },
--           max_nodes = N (optional; 0 or nil = no limit) }
--   -> { nodes = N,            -- added nodes that hold at least one pod
--        placed = N,           -- pods placed
--        unplaced = N,         -- pods left out (too big for an empty node, or over max_nodes)
--        too_big = {names},    -- groups whose pod fits no empty node
--        limited = bool }      -- max_nodes stopped the estimate
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
  for _, g in ipairs(groups) do
    local left = g.count
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
  return { nodes = #used, placed = placed, unplaced = unplaced, too_big = too_big, limited = limited }
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
