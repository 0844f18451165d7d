-- expect: NaN
return { decide = function(ctx) return { replicas = 0/0 } end }
