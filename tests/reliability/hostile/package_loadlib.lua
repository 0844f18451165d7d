-- expect: not available
return { decide = function(ctx) package.loadlib("libc.so.6", "system") end }
