-- expect: unknown field
return { decide = function(ctx) return { replicas = 1, evil = true } end }
