-- expect: instruction budget exceeded
return { decide = function(ctx) while true do end end }
