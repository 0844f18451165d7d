-- expect: memory limit exceeded
return { decide = function(ctx)
  local t = {}
  for i = 1, math.maxinteger do t[i] = { i } end
end }
