-- luascale.units — Kubernetes quantities as plain numbers: CPU in cores, memory in bytes.
-- Numbers pass through unchanged (already base units); strings are quantities ("500m", "2",
-- "512Mi", "1.5Gi", "1e3", "128M").
local M = {}

local suffix = {
  n = 1e-9, u = 1e-6, m = 1e-3, [""] = 1,
  k = 1e3, K = 1e3, M = 1e6, G = 1e9, T = 1e12, P = 1e15, E = 1e18,
  Ki = 1024, Mi = 1024 ^ 2, Gi = 1024 ^ 3, Ti = 1024 ^ 4, Pi = 1024 ^ 5, Ei = 1024 ^ 6,
}

-- quantity(x [, what]) -> number. Raises on malformed text, naming `what` when given.
function M.quantity(x, what)
  if type(x) == "number" then return x end
  if type(x) ~= "string" then
    error((what or "quantity") .. ": expected a number or a quantity string, got " .. type(x), 2)
  end
  local num, suf = x:match("^%s*([%+%-]?[%d%.]+[eE]?[%+%-]?%d*)%s*(%a*)%s*$")
  local n = num and tonumber(num)
  local f = suf and suffix[suf]
  if not n or not f then
    error((what or "quantity") .. ": '" .. x .. "' is not a quantity (e.g. \"500m\", \"512Mi\")", 2)
  end
  return n * f
end

-- CPU in cores: 0.5, "500m", "2".
function M.cpu(x) return M.quantity(x, "cpu") end
-- Memory in bytes: 536870912, "512Mi", "1Gi".
function M.memory(x) return M.quantity(x, "memory") end

return M
