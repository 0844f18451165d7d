-- expect: not found
return { decide = function(ctx) require("socket.core") end }
