-- luascale.hpa — the Kubernetes HPA replica calculation (replica_calculator.go), metric by
-- metric, with upstream's integer milli-unit arithmetic, tolerance and missing/unready-pod rules.
--
-- Per-pod samples are lists of { value = number|nil, request = number|nil, ready = bool|nil }:
--   ready == false      the pod is unready (Pending, or not yet ready for CPU)
--   value == nil        the pod's metric is missing
--   pods the source knows are deleted or failed are simply not in the list.
-- Every function returns proposal, info (info.ratio, info.reason) or nil, error_message.
-- Library functions as locals: a global read goes through the sandbox's environment chain.
local type, ipairs, tostring, error, assert = type, ipairs, tostring, error, assert
local floor, ceil, abs = math.floor, math.ceil, math.abs
local format, concat = string.format, table.concat
local M = {}

M.DEFAULT_TOLERANCE = 0.1

-- Quantity.MilliValue(): rounds up to the next milli-unit.
local function milli(x)
  return ceil(x * 1000 - 1e-7)
end

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

local function fmt(x)
  if x == floor(x) and abs(x) < 1e15 then return format("%d", x) end
  return format("%.4g", x)
end
M.fmt = fmt

-- Splits a pod list into ready samples, missing pods and unready pods.
local function group(pods, need_request)
  local ready, missing, unready = {}, {}, {}
  for i, pod in ipairs(pods) do
    if type(pod) ~= "table" then return nil, "pod " .. i .. " is not a table" end
    if need_request and (type(pod.request) ~= "number" or pod.request < 0) then
      return nil, "pod " .. (pod.name or i) .. " has no request for the resource"
    end
    if pod.ready == false then
      unready[#unready + 1] = pod
    elseif pod.value == nil then
      missing[#missing + 1] = pod
    elseif type(pod.value) ~= "number" then
      return nil, "pod " .. (pod.name or i) .. " value is not a number"
    else
      ready[#ready + 1] = pod
    end
  end
  return { ready = ready, missing = missing, unready = unready }
end

-- The shared body of GetResourceReplicas / calcPlainMetricReplicas.
--   usage_of(sum_value_m, sum_request_m, n) -> ratio
--   fill_down(pod) -> (value_m, request_m) assumed for a missing pod on scale-down
local function plain_replicas(g, current, up, down, ratio_of, fill_down, request_m)
  local su, sr, n = 0, 0, 0
  for _, pod in ipairs(g.ready) do
    su = su + milli(pod.value)
    sr = sr + request_m(pod)
    n = n + 1
  end
  if n == 0 then return nil, "no metrics for any ready pod" end
  local ratio, err = ratio_of(su, sr, n)
  if not ratio then return nil, err end
  local ready_count = n
  local scale_up_with_unready = #g.unready > 0 and ratio > 1
  if #g.missing == 0 and not scale_up_with_unready then
    if M.within(ratio, up, down) then return current, ratio, ratio end
    return ceil(ratio * ready_count), ratio, ratio
  end
  -- Conservative re-check with the missing (and, on scale-up, unready) pods filled in.
  if ratio < 1 then
    for _, pod in ipairs(g.missing) do
      local v, r = fill_down(pod)
      su, sr, n = su + v, sr + r, n + 1
    end
  elseif ratio > 1 then
    for _, pod in ipairs(g.missing) do
      sr, n = sr + request_m(pod), n + 1
    end
  end
  if scale_up_with_unready then
    for _, pod in ipairs(g.unready) do
      sr, n = sr + request_m(pod), n + 1
    end
  end
  local new_ratio = ratio_of(su, sr, n)
  if ratio == 1 or M.within(new_ratio, up, down) or (ratio < 1 and new_ratio > 1) or
     (ratio > 1 and new_ratio < 1) then
    return current, ratio, new_ratio
  end
  local new = ceil(new_ratio * n)
  if (new_ratio < 1 and new > current) or (new_ratio > 1 and new < current) then
    return current, ratio, new_ratio
  end
  return new, ratio, new_ratio
end

-- Resource metric, target type Utilization (percent of request), over a pod list.
function M.utilization(pods, target, current, tolerance)
  local up, down = M.tolerances(tolerance)
  local g, err = group(pods, true)
  if not g then return nil, err end
  local function ratio_of(su, sr)
    if sr == 0 then return nil, "no pod with a metric has a request" end
    return idiv(su * 100, sr) / target
  end
  local fill = math.max(100, target)
  local function fill_down(pod)
    local r = milli(pod.request)
    return idiv(r * fill, 100), r
  end
  local function request_m(pod) return milli(pod.request) end
  local proposal, ratio, new_ratio = plain_replicas(g, current, up, down, ratio_of, fill_down, request_m)
  if not proposal then return nil, ratio end
  return proposal, {
    ratio = ratio, recheck_ratio = new_ratio, ready = #g.ready, missing = #g.missing,
    unready = #g.unready,
    reason = format("utilization %d%% vs target %s%% (ratio %.3f%s)",
      floor(ratio * target + 0.5), fmt(target), ratio,
      new_ratio ~= ratio and format(", re-checked %.3f", new_ratio) or ""),
  }
end

-- Pods metric / Resource AverageValue over a pod list: average per pod vs target.
function M.average_value_pods(pods, target, current, tolerance)
  local up, down = M.tolerances(tolerance)
  local g, err = group(pods, false)
  if not g then return nil, err end
  local target_m = milli(target)
  local function ratio_of(su, _, n) return idiv(su, n) / target_m end
  local function fill_down() return target_m, 0 end
  local function request_m() return 0 end
  local proposal, ratio, new_ratio = plain_replicas(g, current, up, down, ratio_of, fill_down, request_m)
  if not proposal then return nil, ratio end
  return proposal, {
    ratio = ratio, recheck_ratio = new_ratio, ready = #g.ready, missing = #g.missing,
    unready = #g.unready,
    reason = format("average %s vs target %s (ratio %.3f%s)", fmt(ratio * target), fmt(target),
      ratio, new_ratio ~= ratio and format(", re-checked %.3f", new_ratio) or ""),
  }
end

-- External/Object AverageValue: a total shared across the status replica count.
function M.average_value_total(usage, target, status_replicas, tolerance)
  local up, down = M.tolerances(tolerance)
  local ratio = milli(usage) / (milli(target) * status_replicas)
  local proposal = status_replicas
  if not M.within(ratio, up, down) then
    proposal = ceil(milli(usage) / milli(target))
  end
  return proposal, {
    ratio = ratio,
    reason = format("total %s / target %s per replica (ratio %.3f)", fmt(usage), fmt(target), ratio),
  }
end

-- Object/External Value (getUsageRatioReplicaCount): ratio against ready pods; from zero no tolerance.
function M.value(usage, target, current, ready, tolerance)
  local up, down = M.tolerances(tolerance)
  local ratio = milli(usage) / milli(target)
  local proposal
  if current == 0 then
    proposal = ceil(ratio)
  elseif M.within(ratio, up, down) then
    proposal = current
  else
    proposal = ceil(ratio * ready)
  end
  return proposal, {
    ratio = ratio,
    reason = format("value %s vs target %s (ratio %.3f)", fmt(usage), fmt(target), ratio),
  }
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
    if list then
      local sum = 0
      for _, s in ipairs(value) do sum = sum + (type(s) == "table" and (s.value or 0) or s) end
      value = sum
    end
    return M.value(value, m.target, current, ready, tolerance)
  end
  return nil, "unknown metric type '" .. tostring(t) .. "' (Utilization, AverageValue, Value)"
end

-- computeReplicasForMetrics: every metric against the same current count, the largest proposal.
-- values: signal name -> value (nil = missing). Returns proposal, reason or nil, reason (hold).
-- If all metrics are invalid, or some are and the largest proposal is below current: hold.
function M.replicas(metrics, values, target, tolerance)
  local best, best_reason, invalid = nil, nil, {}
  for i, m in ipairs(metrics) do
    local name = m.signal or ("metric " .. i)
    local v = values[m.signal]
    local proposal, info
    if v == nil then
      info = "no value"
    else
      proposal, info = M.metric(m, v, target, m.tolerance or tolerance)
    end
    if proposal == nil then
      invalid[#invalid + 1] = name .. ": " .. tostring(info)
    elseif best == nil or proposal > best then
      best, best_reason = proposal, name .. " " .. info.reason
    end
  end
  if best == nil then
    return nil, "no valid metric (" .. concat(invalid, "; ") .. ")"
  end
  if #invalid > 0 then
    if best < target.replicas then
      return nil, "not scaling down on partial data (" .. concat(invalid, "; ") .. ")"
    end
    best_reason = best_reason .. " [invalid: " .. concat(invalid, "; ") .. "]"
  end
  return best, best_reason
end

return M
