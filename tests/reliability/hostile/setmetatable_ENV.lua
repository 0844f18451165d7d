-- expect: cannot change a protected metatable
return { decide = function(ctx) setmetatable(_ENV, nil) return { replicas = #io } end }
