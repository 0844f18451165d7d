-- expect: instruction budget exceeded|timed out
return { decide = function(ctx) table.move({}, 1, 1e14, 2) end }
