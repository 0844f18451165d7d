-- expect: __gc metamethods are not allowed
return { decide = function(ctx)
  setmetatable({}, { __gc = function() while true do end end })
end }
