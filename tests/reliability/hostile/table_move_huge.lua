-- expect: instruction budget exceeded
return { decide = function(ctx) table.move({}, 1, 1e14, 2) end }
