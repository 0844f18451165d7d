-- expect: table expected
return { decide = function(ctx) setmetatable("", {}) end }
