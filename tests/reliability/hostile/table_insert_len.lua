-- expect: __len metamethod is not allowed
return { decide = function(ctx)
  table.insert(setmetatable({}, { __len = function() return 1e15 end }), 1, 1)
end }
