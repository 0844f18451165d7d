-- expect: binary
return { decide = function(ctx) load("\27Lua\84\0", "x", "b") end }
