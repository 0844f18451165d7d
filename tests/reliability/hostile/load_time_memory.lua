-- expect-load: memory limit exceeded
local t = {} for i = 1, math.maxinteger do t[i] = tostring(i) end
