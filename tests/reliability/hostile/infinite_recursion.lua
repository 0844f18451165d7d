-- expect: stack overflow|memory limit exceeded
return { decide = function(ctx)
  local function f(n) return 1 + f(n + 1) end
  return { replicas = f(1) }
end }
