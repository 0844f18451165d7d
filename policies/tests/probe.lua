-- policies/tests/probe.lua — calls one stdlib function for the stdlib tests (*_test.lua here):
-- params { module = "luascale.cron", fn = "prev", args = {...} } -> reason "result=<value>;"
-- with tables serialised with sorted keys and numbers as %.6g (integers as integers).
local function show(v)
  if type(v) == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = tostring(k) .. "=" .. show(v[k]) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif type(v) == "number" then
    if math.type(v) == "integer" or (v == math.floor(v) and math.abs(v) < 1e15) then
      return string.format("%d", v)
    end
    return string.format("%.6g", v)
  end
  return tostring(v)
end

return {
  params = { module = "luascale.stats", fn = "mean", args = { { 1, 2, 3 } } },
  decide = function(ctx, p)
    local mod = require(p.module)
    local results = table.pack(mod[p.fn](table.unpack(p.args or {})))
    local parts = {}
    for i = 1, results.n do parts[i] = show(results[i]) end
    return { replicas = 1, reason = "result=" .. table.concat(parts, "|") .. ";" }
  end,
}
