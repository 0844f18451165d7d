-- expect: dofile is not allowed
return { decide = function(ctx) dofile("/etc/passwd") return { replicas = 1 } end }
