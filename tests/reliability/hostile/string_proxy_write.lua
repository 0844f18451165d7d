-- expect: read-only
return { decide = function(ctx) string.rep = function() return "pwned" end end }
