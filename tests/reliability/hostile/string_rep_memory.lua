-- expect: memory limit exceeded
return { decide = function(ctx) local s = string.rep("x", 1 << 30) return { replicas = #s } end }
