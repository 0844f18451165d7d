-- expect: instruction budget exceeded|timed out
return { decide = function(ctx) while true do end end }
