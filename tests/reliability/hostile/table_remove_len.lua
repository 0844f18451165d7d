-- expect: __len metamethod is not allowed
return { decide = function(ctx)
  table.remove(setmetatable({}, { __len = function() return 1e15 end }), 1)
end }
