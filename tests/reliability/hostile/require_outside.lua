-- expect: not allowed
return { decide = function(ctx) require("../../etc/passwd") end }
