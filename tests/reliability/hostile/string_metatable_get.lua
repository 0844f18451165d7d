-- expect: attempt to index a boolean value
return { decide = function(ctx)
  local mt = getmetatable("")
  mt.__index = function() return os end
end }
