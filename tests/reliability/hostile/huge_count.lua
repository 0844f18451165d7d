-- expect: must be <= 2147483647
return { decide = function(ctx) return { replicas = 1 << 40 } end }
