-- luascale.hpa — the Kubernetes HPA replica calculation (replica_calculator.go), metric by
-- metric, with upstream's integer milli-unit arithmetic, tolerance and missing/unready-pod rules.
--
-- Per-pod samples are lists of { value = number|nil, request = number|nil, ready = bool|nil }:
--   ready == false      the pod is unready (Pending, or not yet ready for CPU)
--   value == nil        the pod's metric is missing
--   pods the source knows are deleted or failed are simply not in the list.
-- Every function returns proposal, info (info.ratio, info.reason) or nil, error_message.
--
-- This runs on every evaluation of every HPA policy, so the path from replicas()/replica()
-- builds no table and one string (the reason, with one string.format) per metric; the
-- documented functions keep their shapes and share the arithmetic below.
-- Library functions as locals: a global read goes through the sandbox's environment chain.
local type, ipairs, tostring, error, assert = type, ipairs, tostring, error, assert
local floor, ceil, abs, max = math.floor, math.ceil, math.abs, math.max
local format, concat = string.format, table.concat
local M = {}

M.DEFAULT_TOLERANCE = 0.1

-- Quantity.MilliValue(): rounds up to the next milli-unit. In floating point, so a usage near
-- the int64 limit cannot wrap around (upstream's values are int64 milli-units already).
local function milli(x)
  return ceil(x * 1000.0 - 1e-7)
end

-- Upstream saturates a proposal above int32 max to MaxInt32 (TestReplicaCalcScaleUpOverflow,
-- TestExternalPerPodMetricReplicaOverflow) instead of wrapping; the engine then applies
-- maxReplicas.
local MAX_REPLICAS = 2147483647
local function cap(n)
  if n > MAX_REPLICAS then return MAX_REPLICAS end
  return n
end
M.MAX_REPLICAS = MAX_REPLICAS

-- Integer division with truncation toward zero (Go int64 division on non-negative values).
local function idiv(a, b)
  return floor(a / b)
end

-- tolerances(t) -> up, down. t: nil (0.1 each), a number, or {scale_up=, scale_down=}.
function M.tolerances(t)
  if t == nil then return M.DEFAULT_TOLERANCE, M.DEFAULT_TOLERANCE end
  if type(t) == "number" then return t, t end
  if type(t) == "table" then
    return t.scale_up or M.DEFAULT_TOLERANCE, t.scale_down or M.DEFAULT_TOLERANCE
  end
  error("tolerance must be a number or {scale_up=..., scale_down=...}", 2)
end

-- Tolerances.isWithin: (1 - down) <= ratio <= (1 + up), both bounds inclusive.
function M.within(ratio, up, down)
  return ratio >= 1 - down and ratio <= 1 + up
end

-- fmt(x): an integral number below 1e15 as an integer, anything else with 4 significant digits.
local function integral(x)
  return x == floor(x) and abs(x) < 1e15
end
local function fmt(x)
  if integral(x) then return format("%d", x) end
  return format("%.4g", x)
end
M.fmt = fmt

-- integral(x) without the calls, for x a number or a numeric string: x // 1 is a number, so a
-- string is never equal to it (not integral, as for fmt).
local function whole(x)
  return x // 1 == x and x < 1e15 and (x > -1e15 or abs(x) < 1e15)
end

-- The reasons, as one format each: patterns(s) -> named, plain, each pat[a][b]: `named` prefixes
-- the metric's name ("%s "), slots \1 / \2 are fmt()'s two conversions (a, b: integral() of that
-- argument) or, given `b_choice`, \2 is b_choice[b].
local NUM = { [true] = "%%d", [false] = "%%.4g" }
local function patterns(s, b_choice)
  local named, plain = {}, {}
  for _, a in ipairs { true, false } do
    named[a], plain[a] = {}, {}
    for _, b in ipairs { true, false } do
      local p = s:gsub("\1", NUM[a]):gsub("\2", b_choice and b_choice[b] or NUM[b])
      named[a][b], plain[a][b] = "%s " .. p, p
    end
  end
  return named, plain
end
local RECHECK = { [true] = ", re-checked %%.3f", [false] = "" }
local VALUE_N, VALUE = patterns("value \1 vs target \2 (ratio %.3f)")
local TOTAL_N, TOTAL = patterns("total \1 / target \2 per replica (ratio %.3f)")
local UTILIZATION_N, UTILIZATION = patterns("utilization %d%% vs target \1%% (ratio %.3f\2)", RECHECK)
local AVERAGE_N, AVERAGE = patterns("average \1 vs target \2 (ratio %.3f)")
local AVERAGE_RECHECKED_N, AVERAGE_RECHECKED = patterns("average \1 vs target \2 (ratio %.3f, re-checked %.3f)")

-- (up, down) of a tolerance, as M.tolerances.
local function tolerances(t)
  if type(t) == "number" then return t, t end
  return M.tolerances(t)
end

-- getUsageRatioReplicaCount on one value: proposal, ratio.
local function value_core(usage, target, current, ready, tolerance)
  local up, down = tolerances(tolerance)
  local ratio = milli(usage) / milli(target)
  if current == 0 then return cap(ceil(ratio)), ratio end
  if ratio >= 1 - down and ratio <= 1 + up then return current, ratio end
  return cap(ceil(ratio * ready)), ratio
end

-- External/Object AverageValue: proposal, ratio.
local function total_core(usage, target, status_replicas, tolerance)
  local up, down = tolerances(tolerance)
  local ratio = milli(usage) / (milli(target) * status_replicas)
  if ratio >= 1 - down and ratio <= 1 + up then return status_replicas, ratio end
  return cap(ceil(milli(usage) / milli(target))), ratio
end

-- Splits a pod list in one pass: the ready pods' milli sums (usage, request) and count, and the
-- missing and unready pods (lists, nil when there are none). Or nil, err for a malformed pod.
local function scan(pods, need_request)
  -- Float sums: milli-values near the int64 limit add up without wrapping.
  local su, sr, n, missing, unready = 0.0, 0.0, 0, nil, nil
  for i, pod in ipairs(pods) do
    if type(pod) ~= "table" then return nil, "pod " .. i .. " is not a table" end
    if need_request and (type(pod.request) ~= "number" or pod.request < 0) then
      return nil, "pod " .. (pod.name or i) .. " has no request for the resource"
    end
    if pod.ready == false then
      if unready then unready[#unready + 1] = pod else unready = { pod } end
    elseif pod.value == nil then
      if missing then missing[#missing + 1] = pod else missing = { pod } end
    elseif type(pod.value) ~= "number" then
      return nil, "pod " .. (pod.name or i) .. " value is not a number"
    else
      su = su + milli(pod.value)
      if need_request then sr = sr + milli(pod.request) end
      n = n + 1
    end
  end
  return su, sr, n, missing, unready
end

-- GetResourceReplicas (util: Utilization of the requests) / calcPlainMetricReplicas (per-pod
-- AverageValue) over a pod list:
--   proposal, ratio, recheck_ratio, ready, missing, unready   or nil, err
local function pods_core(pods, util, target, current, tolerance)
  local up, down = tolerances(tolerance)
  local su, sr, n, missing, unready = scan(pods, util)
  if not su then return nil, sr end
  local fill, target_m
  if util then fill = max(100, target) else target_m = milli(target) end
  if n == 0 then return nil, "no metrics for any ready pod" end
  local ratio
  if util then
    if sr == 0 then return nil, "no pod with a metric has a request" end
    ratio = idiv(su * 100, sr) / target
  else
    ratio = idiv(su, n) / target_m
  end
  local ready_count = n
  local n_missing = missing and #missing or 0
  local n_unready = unready and #unready or 0
  local scale_up_with_unready = n_unready > 0 and ratio > 1
  if n_missing == 0 and not scale_up_with_unready then
    if ratio >= 1 - down and ratio <= 1 + up then
      return current, ratio, ratio, ready_count, 0, n_unready
    end
    return cap(ceil(ratio * ready_count)), ratio, ratio, ready_count, 0, n_unready
  end
  -- Conservative re-check with the missing (and, on scale-up, unready) pods filled in:
  -- on scale-down a missing pod is at 100% of its request (the target on AverageValue), on
  -- scale-up missing and unready pods are at 0.
  if ratio < 1 and missing then
    for _, pod in ipairs(missing) do
      if util then
        local r = milli(pod.request)
        su, sr, n = su + idiv(r * fill, 100), sr + r, n + 1
      else
        su, sr, n = su + target_m, sr + 0, n + 1
      end
    end
  elseif ratio > 1 and missing then
    for _, pod in ipairs(missing) do
      sr, n = sr + (util and milli(pod.request) or 0), n + 1
    end
  end
  if scale_up_with_unready then
    for _, pod in ipairs(unready) do
      sr, n = sr + (util and milli(pod.request) or 0), n + 1
    end
  end
  local new_ratio
  if not util then
    new_ratio = idiv(su, n) / target_m
  elseif sr ~= 0 then
    new_ratio = idiv(su * 100, sr) / target
  end
  if ratio == 1 or (new_ratio >= 1 - down and new_ratio <= 1 + up) or
     (ratio < 1 and new_ratio > 1) or (ratio > 1 and new_ratio < 1) then
    return current, ratio, new_ratio, ready_count, n_missing, n_unready
  end
  local new = cap(ceil(new_ratio * n))
  if (new_ratio < 1 and new > current) or (new_ratio > 1 and new < current) then
    return current, ratio, new_ratio, ready_count, n_missing, n_unready
  end
  return new, ratio, new_ratio, ready_count, n_missing, n_unready
end

-- The reasons. name: the metric's name to prefix (a string), or nil for none.
-- (A table is picked with `if name`, not indexed by `name ~= nil`: Lua 5.4.4 miscompiles a
-- comparison used as a table key.)
local function value_reason(name, usage, target, ratio)
  if name then return format(VALUE_N[whole(usage)][whole(target)], name, usage, target, ratio) end
  return format(VALUE[whole(usage)][whole(target)], usage, target, ratio)
end

local function total_reason(name, usage, target, ratio)
  if name then return format(TOTAL_N[whole(usage)][whole(target)], name, usage, target, ratio) end
  return format(TOTAL[whole(usage)][whole(target)], usage, target, ratio)
end

local MAXINT_F = 2.0 ^ 63

local function utilization_reason(name, target, ratio, new_ratio)
  local percent = floor(ratio * target + 0.5)
  if not (percent >= -MAXINT_F and percent < MAXINT_F) then
    -- No integer representation: string.format raises its error, for this argument.
    return (name and name .. " " or "") ..
      format("utilization %d%% vs target %s%% (ratio %.3f%s)", percent, fmt(target), ratio,
        new_ratio ~= ratio and format(", re-checked %.3f", new_ratio) or "")
  end
  if new_ratio ~= ratio then
    if name then return format(UTILIZATION_N[whole(target)][true], name, percent, target, ratio, new_ratio) end
    return format(UTILIZATION[whole(target)][true], percent, target, ratio, new_ratio)
  end
  if name then return format(UTILIZATION_N[whole(target)][false], name, percent, target, ratio) end
  return format(UTILIZATION[whole(target)][false], percent, target, ratio)
end

local function average_reason(name, target, ratio, new_ratio)
  local average = ratio * target
  if new_ratio ~= ratio then
    if name then
      return format(AVERAGE_RECHECKED_N[whole(average)][whole(target)], name, average, target, ratio, new_ratio)
    end
    return format(AVERAGE_RECHECKED[whole(average)][whole(target)], average, target, ratio, new_ratio)
  end
  if name then return format(AVERAGE_N[whole(average)][whole(target)], name, average, target, ratio) end
  return format(AVERAGE[whole(average)][whole(target)], average, target, ratio)
end

-- Resource metric, target type Utilization (percent of request), over a pod list.
function M.utilization(pods, target, current, tolerance)
  local proposal, ratio, new_ratio, ready, missing, unready = pods_core(pods, true, target, current, tolerance)
  if not proposal then return nil, ratio end
  return proposal, {
    ratio = ratio, recheck_ratio = new_ratio, ready = ready, missing = missing, unready = unready,
    reason = utilization_reason(nil, target, ratio, new_ratio),
  }
end

-- Pods metric / Resource AverageValue over a pod list: average per pod vs target.
function M.average_value_pods(pods, target, current, tolerance)
  local proposal, ratio, new_ratio, ready, missing, unready = pods_core(pods, false, target, current, tolerance)
  if not proposal then return nil, ratio end
  return proposal, {
    ratio = ratio, recheck_ratio = new_ratio, ready = ready, missing = missing, unready = unready,
    reason = average_reason(nil, target, ratio, new_ratio),
  }
end

-- External/Object AverageValue: a total shared across the status replica count.
function M.average_value_total(usage, target, status_replicas, tolerance)
  local proposal, ratio = total_core(usage, target, status_replicas, tolerance)
  return proposal, { ratio = ratio, reason = total_reason(nil, usage, target, ratio) }
end

-- Object/External Value (getUsageRatioReplicaCount): ratio against ready pods; from zero no tolerance.
function M.value(usage, target, current, ready, tolerance)
  local proposal, ratio = value_core(usage, target, current, ready, tolerance)
  return proposal, { ratio = ratio, reason = value_reason(nil, usage, target, ratio) }
end

-- A list summed for a Value metric: its numbers, or the pods' values (a missing one as 0);
-- saturating at the int64 limit as upstream's External sum does
-- (TestReplicaCalcExternalMetricUsageOverflow).
local MAXINT_SUM = 2.0 ^ 63
local function sum_values(list)
  local sum = 0
  for _, s in ipairs(list) do
    local v = type(s) == "table" and (s.value or 0) or s
    if math.type(sum) == "integer" and math.type(v) == "integer" and
       (v > 0 and sum > math.maxinteger - v or v < 0 and sum < math.mininteger - v) then
      sum = sum + 0.0  -- the integer sum would wrap: go on in floating point
    end
    sum = sum + v
  end
  if sum >= MAXINT_SUM then return math.maxinteger end
  return sum
end

-- One metric spec against its value: proposal, reason (prefixed with name unless name is nil)
-- or nil, err. The arithmetic of M.metric, without the info table.
local function metric_reason(m, value, target, tolerance, name)
  local goal = m.target
  if type(goal) ~= "number" or goal <= 0 then
    return nil, "target must be a number > 0"
  end
  local current = target.replicas
  local t = m.type or "Utilization"
  local list = type(value) == "table"
  local ready = target.ready or current
  local proposal, ratio, new_ratio
  if t == "Utilization" then
    if list then
      proposal, ratio, new_ratio = pods_core(value, true, goal, current, tolerance)
      if not proposal then return nil, ratio end
      return proposal, utilization_reason(name, goal, ratio, new_ratio)
    end
    -- A plain number is the pods' average utilization in percent.
    proposal, ratio = value_core(value, goal, current, ready, tolerance)
    return proposal, value_reason(name, value, goal, ratio)
  elseif t == "AverageValue" then
    if list then
      proposal, ratio, new_ratio = pods_core(value, false, goal, current, tolerance)
      if not proposal then return nil, ratio end
      return proposal, average_reason(name, goal, ratio, new_ratio)
    end
    proposal, ratio = total_core(value, goal, current, tolerance)
    return proposal, total_reason(name, value, goal, ratio)
  elseif t == "Value" then
    if list then value = sum_values(value) end
    proposal, ratio = value_core(value, goal, current, ready, tolerance)
    return proposal, value_reason(name, value, goal, ratio)
  end
  return nil, "unknown metric type '" .. tostring(t) .. "' (Utilization, AverageValue, Value)"
end

-- One metric spec {signal=, type=, target=} against a signal value (number or pod list).
-- target: the ctx.target table. Returns proposal, info or nil, err.
function M.metric(m, value, target, tolerance)
  if type(m.target) ~= "number" or m.target <= 0 then
    return nil, "target must be a number > 0"
  end
  local current, ready = target.replicas, target.ready or target.replicas
  local t = m.type or "Utilization"
  local list = type(value) == "table"
  if t == "Utilization" then
    if list then return M.utilization(value, m.target, current, tolerance) end
    -- A plain number is the pods' average utilization in percent.
    return M.value(value, m.target, current, ready, tolerance)
  elseif t == "AverageValue" then
    if list then return M.average_value_pods(value, m.target, current, tolerance) end
    return M.average_value_total(value, m.target, current, tolerance)
  elseif t == "Value" then
    if list then value = sum_values(value) end
    return M.value(value, m.target, current, ready, tolerance)
  end
  return nil, "unknown metric type '" .. tostring(t) .. "' (Utilization, AverageValue, Value)"
end

-- computeReplicasForMetrics: every metric against the same current count, the largest proposal.
-- values: signal name -> value (nil = missing). Returns proposal, reason or nil, reason (hold).
-- If all metrics are invalid, or some are and the largest proposal is below current: hold.
function M.replicas(metrics, values, target, tolerance)
  local best, best_reason, invalid = nil, nil, nil
  for i, m in ipairs(metrics) do
    local name = m.signal or ("metric " .. i)
    local v = values[m.signal]
    local proposal, info
    if v == nil then
      info = "no value"
    elseif type(name) == "string" then
      proposal, info = metric_reason(m, v, target, m.tolerance or tolerance, name)
    else
      proposal, info = metric_reason(m, v, target, m.tolerance or tolerance, nil)
      if proposal ~= nil and (best == nil or proposal > best) then info = name .. " " .. info end
    end
    if proposal == nil then
      local entry = name .. ": " .. tostring(info)
      if invalid then invalid[#invalid + 1] = entry else invalid = { entry } end
    elseif best == nil or proposal > best then
      best, best_reason = proposal, info
    end
  end
  if best == nil then
    return nil, "no valid metric (" .. (invalid and concat(invalid, "; ") or "") .. ")"
  end
  if invalid then
    if best < target.replicas then
      return nil, "not scaling down on partial data (" .. concat(invalid, "; ") .. ")"
    end
    best_reason = best_reason .. " [invalid: " .. concat(invalid, "; ") .. "]"
  end
  return best, best_reason
end

-- The last signal name seen to be a string, target and tolerance seen to be numbers: a value
-- equal to one of them has its type (== never equates a string or number with another type), and
-- comparing costs less than calling type() on every evaluation.
local seen_name, seen_goal, seen_tolerance = "", 1, 0.1

-- replica(m, value, target, tolerance): M.replicas for one metric spec and its signal's value
-- (nil = missing), without the values table: proposal, reason or nil, reason (hold).
function M.replica(m, value, target, tolerance)
  local name = m.signal or "metric 1"
  local proposal, info
  if value == nil then
    info = "no value"
  else
    local named = name == seen_name
    if not named and type(name) == "string" then named, seen_name = true, name end
    local goal = m.target
    local numeric = goal == seen_goal
    if not numeric and type(goal) == "number" then numeric, seen_goal = true, goal end
    local t = m.type or "Utilization"
    local per_pod = t == "Utilization" or t == "Value"
    if named and numeric and goal > 0 and (per_pod or t == "AverageValue") and type(value) ~= "table" then
      -- One number against the target, the path of nearly every evaluation: metric_reason's
      -- value_core / total_core and value_reason / total_reason, written out (about 15 % of an
      -- HPA replay's time). policies/tests/hpa_paths_test.lua checks that both give the same
      -- proposal and reason.
      tolerance = m.tolerance or tolerance
      local up, down = tolerance, tolerance
      if tolerance ~= seen_tolerance then
        if type(tolerance) == "number" then seen_tolerance = tolerance else up, down = M.tolerances(tolerance) end
      end
      local current = target.replicas
      local x = value
      local usage_m, target_m = ceil(x * 1000.0 - 1e-7), ceil(goal * 1000.0 - 1e-7)
      -- whole() of both (goal is a number > 0).
      local xi = x // 1 == x and x < 1e15 and (x > -1e15 or abs(x) < 1e15)
      local gi = goal // 1 == goal and goal < 1e15
      if per_pod then
        local ratio = usage_m / target_m
        if current == 0 then
          proposal = cap(ceil(ratio))
        elseif ratio >= 1 - down and ratio <= 1 + up then
          proposal = current
        else
          proposal = cap(ceil(ratio * (target.ready or current)))
        end
        return proposal, format(VALUE_N[xi][gi], name, x, goal, ratio)
      end
      -- AverageValue over a number: a total shared across the current count.
      local ratio = usage_m / (target_m * current)
      if ratio >= 1 - down and ratio <= 1 + up then
        proposal = current
      else
        proposal = cap(ceil(usage_m / target_m))
      end
      return proposal, format(TOTAL_N[xi][gi], name, x, goal, ratio)
    end
    proposal, info = metric_reason(m, value, target, m.tolerance or tolerance, named and name or nil)
    if proposal ~= nil and not named then info = name .. " " .. info end
  end
  if proposal == nil then
    return nil, "no valid metric (" .. name .. ": " .. tostring(info) .. ")"
  end
  return proposal, info
end

return M
