-- expect: must be integers
return { decide = function(ctx) return { replicas = 2.5 } end }
