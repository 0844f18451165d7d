-- expect: outside a coroutine
return { decide = function(ctx) coroutine.yield(1) end }
