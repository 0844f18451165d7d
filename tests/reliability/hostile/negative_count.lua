-- expect: must be >= 0
return { decide = function(ctx) return { replicas = -1 } end }
