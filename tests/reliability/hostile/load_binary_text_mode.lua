-- expect: attempt to load a binary chunk
return { decide = function(ctx) local f, e = load("\27LuaT\0") error(e) end }
