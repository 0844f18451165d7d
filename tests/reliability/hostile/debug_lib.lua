-- expect: not available
return { decide = function(ctx) debug.sethook() end }
