-- expect: cannot change a protected metatable
return { decide = function(ctx) setmetatable(_G, { __index = function() return 1 end }) end }
