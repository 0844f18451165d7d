-- expect: inf
return { decide = function(ctx) return { replicas = math.huge } end }
